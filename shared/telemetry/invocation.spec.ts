import { describe, expect, it } from 'vitest';
import { inInvocation, invocationLogger, type InvocationLike } from './invocation.js';

function fakeInvocation(invocationId: string) {
  const lines: Array<{ level: string; args: unknown[] }> = [];
  const ctx: InvocationLike = {
    invocationId,
    functionName: 'dispatchRedaction',
    info: (...args) => void lines.push({ level: 'info', args }),
    warn: (...args) => void lines.push({ level: 'warn', args }),
    error: (...args) => void lines.push({ level: 'error', args }),
  };
  return { ctx, lines };
}

describe('invocationLogger', () => {
  const fallbackLines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const fallback = { info: (message: string, fields?: Record<string, unknown>) => void fallbackLines.push({ message, fields }), warn() {}, error() {} };

  it('in Azure, entries inside an invocation go through its context with the invocation id; concurrent invocations stay apart', async () => {
    const logger = invocationLogger(fallback, { toInvocation: true });
    const a = fakeInvocation('inv-a');
    const b = fakeInvocation('inv-b');
    await Promise.all([
      inInvocation(a.ctx, async () => {
        await new Promise((r) => setTimeout(r, 5));
        logger.info('job sent', { evidenceId: 'ev-1' });
      }),
      inInvocation(b.ctx, async () => logger.info('job sent', { evidenceId: 'ev-2' })),
    ]);
    expect(a.lines).toHaveLength(1);
    expect(a.lines[0]!.args[0]).toBe('job sent');
    expect(JSON.parse(a.lines[0]!.args[1] as string)).toEqual({ evidenceId: 'ev-1', invocationId: 'inv-a', functionName: 'dispatchRedaction' });
    expect(JSON.parse(b.lines[0]!.args[1] as string)).toMatchObject({ evidenceId: 'ev-2', invocationId: 'inv-b' });
    expect(fallbackLines).toHaveLength(0);
  });

  it('outside an invocation (and locally) the fallback logger gets the entry, with the invocation id when there is one', async () => {
    const local = invocationLogger(fallback, { toInvocation: false });
    local.info('started');
    const a = fakeInvocation('inv-c');
    await inInvocation(a.ctx, async () => local.info('handled', { code: 'ok' }));
    expect(fallbackLines).toEqual([
      { message: 'started', fields: {} },
      { message: 'handled', fields: { code: 'ok', invocationId: 'inv-c', functionName: 'dispatchRedaction' } },
    ]);
    expect(a.lines).toHaveLength(0);
  });
});
