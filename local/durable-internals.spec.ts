import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

describe('durable-functions internals used by the local runtime', () => {
  it('are pinned to the exact version they were written against (deep imports are not a public API)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    const installed = (require('durable-functions/package.json') as { version: string }).version;
    expect(pkg.dependencies['durable-functions']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.dependencies['durable-functions']).toBe(installed);
  });
});
