import { describe, expect, it } from 'vitest';
import { createOutput } from '../../src/cli/output.ts';
import { UserError } from '../../src/core/errors.ts';
import { reportError } from '../../src/main.ts';

// Text from a foreign bundle or log must not drive the terminal: ESC/CSI/OSC
// sequences, C1 controls and bidi overrides arrive as visible \u escapes.
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
const hostile = 'net: fix\x1b]52;c;cm0gLXJmIH4=\x07 title\x1b[2J cleared \u009b2J \u202eevil\u202c';

function capture(json: boolean) {
  const out = { stdout: '', stderr: '' };
  const output = createOutput(
    { json, verbose: true },
    { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } },
  );
  return { out, output };
}

describe('text printed to the terminal', () => {
  it('shows control characters and bidi overrides as escapes, keeps newline and tab', () => {
    const { out, output } = capture(false);
    output.print(`subject:\t${hostile}\nnext line`);
    output.info(hostile);
    output.note(hostile);
    output.debug(hostile);
    output.progress(hostile);
    expect(out.stdout).not.toMatch(UNSAFE);
    expect(out.stderr).not.toMatch(UNSAFE);
    expect(out.stdout).toContain('subject:\tnet: fix\\u001b]52;c;cm0gLXJmIH4=\\u0007');
    expect(out.stdout).toContain('\\u009b2J \\u202eevil\\u202c\nnext line\n');
  });

  it('--json output still parses back to the same value', () => {
    const { out, output } = capture(true);
    output.printJson({ subject: hostile, nested: ['\u0085', 'plain'] });
    expect(out.stdout).not.toMatch(UNSAFE);
    expect(JSON.parse(out.stdout)).toEqual({ subject: hostile, nested: ['\u0085', 'plain'] });
  });

  it('an error message quoting a foreign file reaches neither stream raw', () => {
    for (const json of [false, true]) {
      let stderr = '';
      let stdout = '';
      reportError(new UserError(`bundle names ${hostile}`, `hint ${hostile}`), json, (s) => (stderr += s), (s) => (stdout += s));
      expect(stderr).not.toMatch(UNSAFE);
      expect(stdout).not.toMatch(UNSAFE);
      if (json) expect(JSON.parse(stdout).error.message).toBe(`bundle names ${hostile}`);
      else expect(stderr).toContain('bundle names net: fix\\u001b]52');
    }
  });
});
