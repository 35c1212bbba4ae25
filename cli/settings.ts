import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { processAlive } from '../shared/adapters/process-alive.js';

/**
 * Settings for `npx bystander audit verify` and `keys rewrap`. In Azure they come from the
 * environment, like the Function App's. Next to a running local stack (`npm start`) there is nothing
 * to set: the stack writes its settings (loopback endpoints, the emulator's key, its data folder) to
 * `<data dir>/local-settings.json` while it runs, and the CLI reads them from there.
 */
export const LOCAL_SETTINGS_FILE = 'local-settings.json';

export interface RunningStackSettings {
  pid: number;
  settings: Record<string, string>;
}

export interface CliSettings {
  env: Record<string, string | undefined>;
  /** The running local stack's settings file, when that is where the settings came from. */
  from?: string;
  /** Said when nothing was found: where the CLI looked. */
  hint?: string;
}

export function cliSettings(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): CliSettings {
  // Explicit settings (Azure, or a stack elsewhere) win.
  if (env.COSMOS__accountEndpoint || env.BYSTANDER_GEOGRAPHY) return { env };
  const file = resolve(cwd, env.BYSTANDER_DATA_DIR || '.bystander', LOCAL_SETTINGS_FILE);
  const hint = `no settings in the environment, and no running local stack (npm start) at ${file}`;
  let running: RunningStackSettings;
  try {
    running = JSON.parse(readFileSync(file, 'utf8')) as RunningStackSettings;
  } catch {
    return { env, hint };
  }
  // A file left by a stack that was killed is not a running stack.
  if (!Number.isInteger(running.pid) || !processAlive(running.pid) || typeof running.settings !== 'object') return { env, hint };
  return { env: { ...env, ...running.settings }, from: file };
}
