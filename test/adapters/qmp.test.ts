// The QMP client against a real QEMU (`-machine none`: no guest, starts in
// milliseconds), and against a fake unix-socket peer only for what QEMU never
// does (torn lines, garbage, replies out of order, silence).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findExecutable } from '../../src/adapters/host.ts';
import { QmpError, connectQmp, waitForSocket, type QmpClient } from '../../src/adapters/qmp.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const tmp = useTempDir('qmp');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanups.splice(0).reverse()) f();
});

const qemuPath = await findExecutable('qemu-system-x86_64');

// A QEMU with nothing but its QMP monitor on SOCK.
function startQemu(socket: string): ChildProcess {
  const child = spawn(qemuPath ?? 'qemu-system-x86_64', ['-machine', 'none', '-nodefaults', '-display', 'none', '-qmp', `unix:${socket},server=on,wait=off`], { stdio: 'ignore' });
  cleanups.push(() => child.kill('SIGKILL'));
  return child;
}

// A fresh socket path per QEMU: the previous test's killed QEMU leaves its socket file, and waiting for that
// path would find the stale one and connect before the new QEMU listens (ECONNREFUSED, seen under load).
let qemus = 0;
async function connectToNewQemu(): Promise<{ qemu: ChildProcess; qmp: QmpClient }> {
  const socket = join(tmp.path, `qemu-${++qemus}.qmp`);
  const qemu = startQemu(socket);
  const qmp = await connectQmp(socket);
  cleanups.unshift(() => qmp.close());
  return { qemu, qmp };
}

// Settles with 'pending' if the promise has not settled within ms: a hang fails the test instead of timing it out.
async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | { error: unknown } | 'pending'> {
  const timer = new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms));
  return Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), timer]);
}

describe.runIf(qemuPath !== null)('QMP against a real QEMU', () => {
  it('reads the greeting, negotiates capabilities, and returns a command\'s result', async () => {
    const { qmp } = await connectToNewQemu();
    // before qmp_capabilities QEMU answers every other command with CommandNotFound
    const version = await qmp.execute<{ qemu: { major: number; minor: number } }>('query-version');
    expect(version.qemu.major).toBeGreaterThanOrEqual(4);
    expect(await qmp.execute('query-status')).toMatchObject({ status: 'running', running: true });
  });

  it('passes a command\'s arguments', async () => {
    const { qmp } = await connectToNewQemu();
    const out = await qmp.execute<string>('human-monitor-command', { 'command-line': 'info version' });
    expect(out).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    ['an unknown command', 'no-such-command', undefined, 'QMP: CommandNotFound: The command no-such-command has not been found'],
    ['an unexpected argument', 'query-status', { bogus: 1 }, "QMP: GenericError: Parameter 'bogus' is unexpected"],
  ])('rejects %s with QEMU\'s error class and description, and stays usable', async (_what, command, args, message) => {
    const { qmp } = await connectToNewQemu();
    const error = await qmp.execute(command, args).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpError);
    expect((error as QmpError).message).toBe(message);
    expect(await qmp.execute('query-status')).toMatchObject({ running: true });
  });

  it('matches replies to commands when events (STOP, RESUME) arrive between them', async () => {
    const { qmp } = await connectToNewQemu();
    // stop and cont each emit an event before their reply; all four are in flight at once
    const [stopped, whileStopped, resumed, whileRunning] = await Promise.all([
      qmp.execute('stop'),
      qmp.execute('query-status'),
      qmp.execute('cont'),
      qmp.execute('query-status'),
    ]);
    expect(stopped).toEqual({});
    expect(whileStopped).toMatchObject({ status: 'paused', running: false });
    expect(resumed).toEqual({});
    expect(whileRunning).toMatchObject({ status: 'running', running: true });
  });

  it('rejects a pending command when QEMU dies before answering', async () => {
    const { qemu, qmp } = await connectToNewQemu();
    qemu.kill('SIGSTOP'); // the command waits in the socket, unanswered
    const pending = qmp.execute('query-status');
    await new Promise((resolve) => setTimeout(resolve, 50));
    qemu.kill('SIGKILL');
    const outcome = await settleWithin(pending, 3000);
    expect(outcome).not.toBe('pending');
    expect(outcome).toHaveProperty('error');
    expect(String((outcome as { error: unknown }).error)).toMatch(/QMP connection closed \(QEMU exited\?\)/);
  });

  it('answers quit, then rejects (never hangs on) commands sent after QEMU closed the socket', async () => {
    const { qemu, qmp } = await connectToNewQemu();
    const exited = new Promise((resolve) => qemu.once('exit', resolve));
    expect(await qmp.execute('quit')).toEqual({});
    await exited;
    const outcome = await settleWithin(qmp.execute('query-status'), 3000);
    expect(outcome).toHaveProperty('error');
    expect(String((outcome as { error: unknown }).error)).toMatch(/QMP connection closed/);
  });

  it('fails at once on the stale socket a killed QEMU left behind', async () => {
    const socket = join(tmp.path, 'stale.qmp');
    const qemu = startQemu(socket);
    await waitForSocket(socket, 5000);
    const exited = new Promise((resolve) => qemu.once('exit', resolve));
    qemu.kill('SIGKILL');
    await exited;
    const started = performance.now();
    await expect(connectQmp(socket, 5000)).rejects.toThrow(/ECONNREFUSED/);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

// One scripted peer: writes the given chunks (with pauses) when a client connects, and answers commands by `reply`.
interface FakePeer {
  readonly path: string;
  readonly received: Record<string, unknown>[];
}

async function startFakePeer(opts: {
  greeting?: readonly (string | number)[];
  reply?: (command: { execute: string; id: string; arguments?: unknown }, socket: Socket) => void | Promise<void>;
}): Promise<FakePeer> {
  const path = join(tmp.path, `fake-${Math.random().toString(36).slice(2)}.qmp`);
  const received: Record<string, unknown>[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    void (async () => {
      for (const part of opts.greeting ?? ['{"QMP": {"version": {}, "capabilities": []}}\r\n']) {
        if (typeof part === 'number') await new Promise((resolve) => setTimeout(resolve, part));
        else socket.write(part);
      }
    })();
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const command = JSON.parse(buffer.slice(0, nl)) as { execute: string; id: string };
        buffer = buffer.slice(nl + 1);
        received.push(command);
        if (command.execute === 'qmp_capabilities') socket.write(`{"return": {}, "id": ${JSON.stringify(command.id)}}\r\n`);
        else void opts.reply?.(command, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { path, received };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('QMP against a fake peer (what QEMU never does)', () => {
  it('reassembles lines torn across writes, and splits several lines in one write', async () => {
    const peer = await startFakePeer({
      greeting: ['{"QMP": {"vers', 20, 'ion": {}, "capabilities": []', 20, '}}\r', 20, '\n'],
      reply: async (c, socket) => {
        const reply = JSON.stringify({ return: { n: c.execute }, id: c.id });
        socket.write(`{"event": "A", "timestamp": {}}\r\n${reply.slice(0, 7)}`);
        await pause(20);
        socket.write(`${reply.slice(7)}\r\n{"event": "B", "timestamp": {}}\r\n`);
      },
    });
    const qmp = await connectQmp(peer.path, 2000);
    cleanups.unshift(() => qmp.close());
    expect(await qmp.execute('first')).toEqual({ n: 'first' });
    expect(await qmp.execute('second', { x: 1 })).toEqual({ n: 'second' });
    expect(peer.received).toEqual([
      { execute: 'qmp_capabilities', id: '1' },
      { execute: 'first', id: '2' },
      { execute: 'second', arguments: { x: 1 }, id: '3' },
    ]);
  });

  it('skips garbage lines (not JSON, not an object) and still gets the reply after them', async () => {
    const peer = await startFakePeer({
      reply: (c, socket) => {
        socket.write(`not json\r\n{"unterminated": \r\nnull\r\n42\r\n"text"\r\n[1, 2]\r\n{"id": 7}\r\n\r\n{"return": "ok", "id": ${JSON.stringify(c.id)}}\r\n`);
      },
    });
    const qmp = await connectQmp(peer.path, 2000);
    cleanups.unshift(() => qmp.close());
    expect(await settleWithin(qmp.execute('x'), 3000)).toEqual({ value: 'ok' });
  });

  it('matches replies by id when they come out of order', async () => {
    const held: { id: string; socket: Socket }[] = [];
    const peer = await startFakePeer({
      reply: (c, socket) => {
        held.push({ id: c.id, socket });
        if (held.length === 3) for (const h of held.reverse()) h.socket.write(`{"return": ${JSON.stringify(`answer to ${h.id}`)}, "id": ${JSON.stringify(h.id)}}\r\n`);
      },
    });
    const qmp = await connectQmp(peer.path, 2000);
    cleanups.unshift(() => qmp.close());
    expect(await Promise.all([qmp.execute('a'), qmp.execute('b'), qmp.execute('c')])).toEqual(['answer to 2', 'answer to 3', 'answer to 4']);
  });

  it('reports an error without class or desc as it came', async () => {
    const peer = await startFakePeer({ reply: (c, socket) => void socket.write(`{"error": {"weird": true}, "id": ${JSON.stringify(c.id)}}\r\n`) });
    const qmp = await connectQmp(peer.path, 2000);
    cleanups.unshift(() => qmp.close());
    await expect(qmp.execute('x')).rejects.toThrow('QMP: error: {"weird":true}');
  });

  it('gives up on a peer that never greets, naming the socket and the wait', async () => {
    const peer = await startFakePeer({ greeting: [] });
    const outcome = await settleWithin(connectQmp(peer.path, 300), 3000);
    expect(String((outcome as { error?: unknown }).error)).toBe(`QmpError: no QMP greeting on ${peer.path} within 300 ms`);
  });

  it('says so at once when the peer hangs up before greeting', async () => {
    const server = createServer((s) => s.destroy());
    const path = join(tmp.path, 'hangup.qmp');
    await new Promise<void>((resolve) => server.listen(path, resolve));
    cleanups.push(() => server.close());
    const started = performance.now();
    await expect(connectQmp(path, 5000)).rejects.toThrow(`QMP connection on ${path} closed before the greeting (QEMU exited?)`);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('waits for the socket to appear, and names it when it does not', async () => {
    await expect(waitForSocket(join(tmp.path, 'never.qmp'), 50)).rejects.toThrow(`QMP socket ${join(tmp.path, 'never.qmp')} did not appear within 50 ms`);
    const later = join(tmp.path, 'later.qmp');
    const waiting = waitForSocket(later, 3000);
    await pause(100);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(later, resolve));
    cleanups.push(() => server.close());
    await expect(waiting).resolves.toBeUndefined();
  });
});
