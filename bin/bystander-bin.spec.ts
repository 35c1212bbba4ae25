import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const bystander = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/bystander.mjs'), ...args], { encoding: 'utf8', timeout: 60_000 });

describe('npx bystander (the dispatcher)', () => {
  it('--help prints the commands on stdout and exits 0', () => {
    for (const flag of ['--help', '-h']) {
      const res = bystander(flag);
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(/^usage: bystander <command>/);
      expect(res.stdout).toMatch(/redact <input> -o <output>/);
      expect(res.stderr).toBe('');
    }
  });

  it('--version prints the package version and exits 0', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const res = bystander('--version');
    expect(res.status).toBe(0);
    expect(res.stdout).toBe(`bystander ${version}\n`);
  });

  it('exits 2 with the usage on no command or an unknown one', () => {
    for (const args of [[], ['frobnicate']]) {
      const res = bystander(...args);
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(/^usage: bystander <command>/);
    }
  });

  it('bystander redact --help exits 0', () => {
    const res = bystander('redact', '--help');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/usage: bystander redact <input> -o <output>/);
  });
});
