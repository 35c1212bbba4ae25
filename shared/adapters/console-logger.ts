import type { Logger } from '../ports/index.js';

/** One JSON line per entry (Application Insights picks console output up in Azure). */
export function consoleLogger(component: string, sink: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) =>
    sink(JSON.stringify({ t: new Date().toISOString(), level, component, message, ...fields }));
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
