// Terminal output shared by the commands: JSON, aligned tables, a live
// progress line (redrawn on a TTY, plain lines otherwise, silent with --json).

export interface Output {
  json: boolean;
  verbose: boolean;
  // results (stdout)
  print(text: string): void;
  printJson(value: unknown): void;
  // diagnostics and progress (stderr)
  info(text: string): void;
  // notes that matter even with --json (resuming, warnings): stderr always
  note(text: string): void;
  debug(text: string): void;
  progress(text: string): void;
  endProgress(): void;
}

export interface OutputStreams {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

// What kbisect prints may come from a file of another machine (a bundle's
// commit subjects and carried report, a log's reasons, a profile's name): a
// control character there (ESC, CSI, BEL) would let it redraw the screen,
// set the window title or write the clipboard, and a bidi override would
// show text in another order than it is. Each is printed as a \u escape
// instead, which JSON reads back as the same character; newline and tab pass.
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

export function forTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// Builds the output object for one command run.
export function createOutput(opts: { json: boolean; verbose: boolean }, streams: OutputStreams = process): Output {
  const live = streams.stderr.isTTY === true && !opts.json;
  let shown = false;
  let lastPlain = '';
  const clear = (): void => {
    if (shown) {
      streams.stderr.write('\r\x1b[2K');
      shown = false;
    }
  };
  return {
    json: opts.json,
    verbose: opts.verbose,
    print(text) {
      clear();
      const safe = forTerminal(text);
      streams.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
    },
    printJson(value) {
      streams.stdout.write(`${forTerminal(JSON.stringify(value, null, 2))}\n`);
    },
    info(text) {
      if (opts.json) return;
      clear();
      streams.stderr.write(`${forTerminal(text)}\n`);
    },
    note(text) {
      clear();
      streams.stderr.write(`${forTerminal(text)}\n`);
    },
    debug(text) {
      if (!opts.verbose) return;
      clear();
      streams.stderr.write(`${forTerminal(text)}\n`);
    },
    progress(raw) {
      if (opts.json) return;
      const text = forTerminal(raw);
      if (live) {
        const width = (streams.stderr as { columns?: number }).columns ?? 100;
        streams.stderr.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
        shown = true;
      } else {
        // not a TTY (a log file, CI): a line only when something but the clock changed
        const key = text.replace(/^\[[^\]]*\]\s*/, '');
        if (key !== lastPlain) {
          streams.stderr.write(`${text}\n`);
          lastPlain = key;
        }
      }
    },
    endProgress() {
      clear();
    },
  };
}

// Lays rows out in columns padded to the widest cell (last column unpadded).
export function formatTable(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}
