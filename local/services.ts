import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The embedded storage and database services, each a child process listening on loopback only
 * (127.0.0.1: neither authenticates a caller that can reach it): Azurite (blob + queue) and a
 * Cosmos DB emulator (@vercel/cosmosdb-server, in-memory). Each runs in its own process group (a
 * terminal's Ctrl+C reaches the stack, which stops them after saving) and exits when the process
 * that started it is gone (local/child-guard.cjs).
 */

const require = createRequire(import.meta.url);
const AZURITE_ACCOUNT = 'devstoreaccount1';
// Azurite's published well-known development key (not a secret).
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const COSMOS_EMULATOR_KEY = 'local-emulator-key';
/** Every local service listens here only. */
export const LOOPBACK = '127.0.0.1';
const GUARD = fileURLToPath(new URL('./child-guard.cjs', import.meta.url));

export interface LocalServices {
  storageConnectionString: string;
  blobEndpoint: string;
  cosmosEndpoint: string;
  pids: number[];
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on port ${port} within ${timeoutMs} ms`);
}

function binOf(pkg: string, bin: string): string {
  const pkgJson = require.resolve(`${pkg}/package.json`);
  const bins = (require(pkgJson) as { bin: Record<string, string> }).bin;
  return join(dirname(pkgJson), bins[bin]!);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.pid === undefined) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

export interface LocalServicesOptions {
  dataDir: string;
  blobPort?: number;
  queuePort?: number;
  cosmosPort?: number;
  log?: (line: string) => void;
  /** Probes a free port (freePort; a test passes one that hands out a taken port first). */
  pickPort?: () => Promise<number>;
}

/** A service that could not take its port: freePort's port was taken between probing and binding. */
class PortTaken extends Error {}

/** How many times fresh ports are tried when a probed port is taken before a service binds it. */
const PORT_ATTEMPTS = 5;

/**
 * Starts Azurite and the Cosmos emulator. Ports not given are probed free (freePort), which leaves a
 * window before the service binds them in which another process (a test file starting its own
 * emulators, an outgoing connection's ephemeral port) may take one: a service that then exits with
 * EADDRINUSE is started again on fresh ports, up to PORT_ATTEMPTS times. A service that fails for
 * any other reason, or on a port the caller chose, fails the start with the end of its own output.
 */
export async function startLocalServices(options: LocalServicesOptions): Promise<LocalServices> {
  const chosen = options.blobPort !== undefined || options.queuePort !== undefined || options.cosmosPort !== undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (!(err instanceof PortTaken) || chosen || attempt >= PORT_ATTEMPTS) throw err;
      options.log?.(`[local] ${err.message}; trying fresh ports (attempt ${attempt + 1} of ${PORT_ATTEMPTS})`);
    }
  }
}

async function startOnce(options: LocalServicesOptions): Promise<LocalServices> {
  const pick = options.pickPort ?? freePort;
  const blobPort = options.blobPort ?? (await pick());
  const queuePort = options.queuePort ?? (await pick());
  const cosmosPort = options.cosmosPort ?? (await pick());
  const azuriteDir = join(options.dataDir, 'azurite');
  await mkdir(azuriteDir, { recursive: true });

  /** The end of each service's own output, for the error when it does not come up. */
  const tails = new Map<ChildProcess, string>();
  const closed = new Map<ChildProcess, Promise<void>>();
  const pipe = (name: string, child: ChildProcess) => {
    closed.set(child, new Promise((r) => child.once('close', () => r())));
    const out = (b: Buffer) => {
      tails.set(child, ((tails.get(child) ?? '') + b.toString()).slice(-2000));
      options.log?.(`[${name}] ${b.toString().trimEnd()}`);
    };
    child.stdout?.on('data', out);
    child.stderr?.on('data', out);
  };

  const guarded = (script: string, args: string[]) =>
    spawn(process.execPath, ['--require', GUARD, script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, BYSTANDER_STACK_PID: String(process.pid) },
    });
  const azurite = guarded(
    binOf('azurite', 'azurite'),
    [
      '--silent',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--loose',
      '--location', azuriteDir,
      '--blobHost', LOOPBACK, '--blobPort', String(blobPort),
      '--queueHost', LOOPBACK, '--queuePort', String(queuePort),
      '--tableHost', LOOPBACK, '--tablePort', String(await pick()),
    ],
  );
  pipe('azurite', azurite);
  const cosmos = guarded(binOf('@vercel/cosmosdb-server', 'cosmosdb-server'), ['--host', LOOPBACK, '-p', String(cosmosPort), '--no-ssl']);
  pipe('cosmos', cosmos);

  const stop = async () => {
    await Promise.all([stopChild(azurite), stopChild(cosmos)]);
  };
  try {
    await Promise.all([
      waitForPort(blobPort, azurite, 'Azurite'),
      waitForPort(queuePort, azurite, 'Azurite'),
      waitForPort(cosmosPort, cosmos, 'Cosmos DB emulator'),
    ]);
  } catch (err) {
    await stop();
    // What a service said last may arrive after it exited: its streams close after.
    await Promise.race([Promise.all(closed.values()), new Promise((r) => setTimeout(r, 2_000))]);
    const said = [azurite, cosmos].map((c) => tails.get(c)?.trim()).filter(Boolean).join('\n');
    const message = `${(err as Error).message}${said ? `: ${said}` : ''}`;
    throw said.includes('EADDRINUSE') ? new PortTaken(message) : new Error(message);
  }
  const blobEndpoint = `http://127.0.0.1:${blobPort}/${AZURITE_ACCOUNT}`;
  return {
    storageConnectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=http://127.0.0.1:${queuePort}/${AZURITE_ACCOUNT};`,
    blobEndpoint,
    cosmosEndpoint: `http://127.0.0.1:${cosmosPort}`,
    pids: [azurite.pid!, cosmos.pid!],
    stop,
  };
}
