// The undo list that Ctrl-C runs: a step its owner already started is awaited,
// not dropped (a namespace half-removed when kbisect exits stays behind).
import { describe, expect, it } from 'vitest';
import { registerUndo, runCleanups } from '../../src/adapters/cleanup.ts';

describe('registerUndo', () => {
  it('runs once, whoever asks first, and runCleanups waits for a step already running', async () => {
    let runs = 0;
    let finished = false;
    const remove = registerUndo('slow step', async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      finished = true;
    });
    const owner = remove();
    await runCleanups();
    expect(finished).toBe(true);
    await owner;
    await remove();
    expect(runs).toBe(1);
  });

  it('is run by runCleanups when its owner never ran it, and not again afterwards', async () => {
    let runs = 0;
    const remove = registerUndo('step', async () => {
      runs++;
    });
    await runCleanups();
    await remove();
    expect(runs).toBe(1);
  });
});
