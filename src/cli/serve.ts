// `switchyard serve`: serve a config folder (hot-reloaded) or a git branch
// (pulled on an interval). SIGHUP reloads now; SIGTERM/SIGINT drain in-flight
// requests, then exit 0. An invalid or unreachable config never stops it: it
// serves /healthz and /metrics, not ready, until a valid version arrives.

import { startGateway, type GatewayOptions } from '../gateway.ts';
import { log } from '../telemetry/logger.ts';
import { parseCommandArgs, runCommand, UsageError, type CommandIO } from './command.ts';

const help = `usage: switchyard serve [--config DIR] [--host H] [--port N]
       switchyard serve --git-url URL [--git-branch B] [--git-path SUB] [--git-interval S]

Serve the gateway.
  --config DIR        config folder (default ./gateway.d; env SWITCHYARD_CONFIG), hot-reloaded on change
  --host H            listen address (default settings.listen.host, else 0.0.0.0; env SWITCHYARD_HOST)
  --port N            listen port (default settings.listen.port, else 8080; env PORT)
  --health-port N     also listen on N (0.0.0.0, env SWITCHYARD_HEALTH_HOST to change) for /healthz
                      and /readyz only: kubelet probes for a sidecar bound to loopback
                      (env SWITCHYARD_HEALTH_PORT)
  --git-url URL       clone this repository and serve SUB from it (env SWITCHYARD_GIT_URL)
  --git-branch B      branch to follow (default: the remote's default; env SWITCHYARD_GIT_BRANCH)
  --git-path SUB      folder inside the repository (default gateway.d; env SWITCHYARD_GIT_PATH)
  --git-interval S    seconds between pulls (default 30; env SWITCHYARD_GIT_INTERVAL)

Signals: SIGHUP reloads at once (rescans the folder or fetches the branch);
SIGTERM and SIGINT drain in-flight requests, then exit 0.
Env SWITCHYARD_GIT_WEBHOOK_SECRET enables POST /-/hooks/git (a signed push webhook).
`;

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a whole number, got '${value}'`);
  return n;
}

export async function main(args: string[], io: CommandIO): Promise<number> {
  return runCommand(io, help, async () => {
    const { values, positionals } = parseCommandArgs(args, {
      config: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'health-port': { type: 'string' },
      'git-url': { type: 'string' }, 'git-branch': { type: 'string' }, 'git-path': { type: 'string' }, 'git-interval': { type: 'string' },
    }, false);
    if (values.help) { io.stdout.write(help); return 0; }
    void positionals;
    const env = process.env;
    const gitUrl = values['git-url'] ?? env.SWITCHYARD_GIT_URL;
    const options: GatewayOptions = {
      host: values.host,
      port: positiveInt(values.port, '--port'),
      healthPort: positiveInt(values['health-port'] ?? env.SWITCHYARD_HEALTH_PORT, '--health-port'),
    };
    if (gitUrl) {
      options.git = {
        url: gitUrl,
        branch: values['git-branch'] ?? env.SWITCHYARD_GIT_BRANCH,
        path: values['git-path'] ?? env.SWITCHYARD_GIT_PATH,
        intervalS: positiveInt(values['git-interval'] ?? env.SWITCHYARD_GIT_INTERVAL, '--git-interval'),
      };
    } else {
      options.configDir = values.config ?? env.SWITCHYARD_CONFIG ?? './gateway.d';
    }
    // A stray rejection anywhere must not take down a gateway serving other requests.
    process.on('unhandledRejection', (reason) => log.error('unhandled rejection (request continues to be served)', { error: reason as Error }));
    const gateway = await startGateway(options);
    // SIGHUP would otherwise end the process (exit 129) with no drain; here it means "reload now".
    const onHangup = (): void => {
      log.info('SIGHUP: reloading the config now');
      void gateway.reload().then((outcome) => {
        if (outcome.ok) log.info('SIGHUP reload done', { config_version: outcome.version });
      });
    };
    process.on('SIGHUP', onHangup);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGHUP', onHangup);
        // Hard limit: the drain, plus a few seconds for flushing, then exit regardless.
        const drainMs = gateway.store.current()?.settings.shutdown.drainMs ?? 30_000;
        setTimeout(() => process.exit(process.exitCode ?? 0), drainMs + 5000).unref();
        void gateway.shutdown().then(() => {
          // Safety net: a stray handle must not keep a drained gateway alive.
          setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
          resolve();
        });
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    return 0;
  });
}
