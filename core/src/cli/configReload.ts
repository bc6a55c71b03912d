import type { Command } from 'commander';
import { EXIT_CONFIG } from '../config/problems';
import { RELOAD_ROUTE_PATH } from '../config/reloadRoute';

interface ReloadAnswer {
  outcome: 'applied' | 'unchanged' | 'invalid';
  file: string | null;
  applied: string[];
  restart_required: string[];
  problems: { code: string; path: string; message: string }[];
}

/** The report of a reload as the command prints it. */
export function formatReload(r: ReloadAnswer): string {
  const lines = [`${r.outcome}${r.file ? ` (${r.file})` : ''}`];
  if (r.applied.length) lines.push('applied:', ...r.applied.map((p) => `  ${p}`));
  if (r.restart_required.length) lines.push('needs a restart:', ...r.restart_required.map((p) => `  ${p}`));
  if (r.problems.length)
    lines.push(
      'refused, the running config stays:',
      ...r.problems.map((p) => `  ${p.code} ${p.path || '<config>'}: ${p.message}`),
    );
  return `${lines.join('\n')}\n`;
}

/**
 * `aihub config reload`: asks a running gateway to read its config file again. Over HTTP (the
 * default; POST /admin/v1/config/reload with a superadmin credential) it prints what was applied,
 * what needs a restart and why a file was refused; exit 78 when refused. With `--pid` it sends
 * SIGHUP to that process instead (in a container: `--pid 1`); the outcome is then in its log.
 */
export function registerConfigReload(
  config: Command,
  fail: (err: unknown) => never,
  usage: (message: string) => never,
): void {
  config
    .command('reload')
    .description(
      'make a running gateway re-read its config file: apply what can change live, list what needs a restart',
    )
    .option('--url <url>', 'the gateway instance (default http://127.0.0.1:$AIHUB_PORT, else port 8080)')
    .option('--token <token>', 'a superadmin API key or token (default: $AIHUB_ADMIN_TOKEN)')
    .option('--pid <pid>', 'send SIGHUP to this process instead of calling the admin API (no report: see its log)')
    .action(async (opts: { url?: string; token?: string; pid?: string }) => {
      if (opts.pid !== undefined) {
        const pid = Number(opts.pid);
        if (!Number.isInteger(pid) || pid < 1) usage('--pid takes a process id (a whole number above 0)');
        try {
          process.kill(pid, 'SIGHUP');
        } catch (err) {
          fail(new Error(`cannot signal process ${pid}: ${(err as Error).message}`));
        }
        process.stdout.write(`sent SIGHUP to ${pid}; its log says what was applied\n`);
        return;
      }
      const base = (opts.url ?? `http://127.0.0.1:${process.env.AIHUB_PORT || 8080}`).replace(/\/+$/, '');
      const token = opts.token ?? process.env.AIHUB_ADMIN_TOKEN;
      if (!token)
        usage(
          'a superadmin credential is needed: pass --token or set AIHUB_ADMIN_TOKEN (or use --pid to signal the process)',
        );
      let res: Response;
      try {
        res = await fetch(`${base}${RELOAD_ROUTE_PATH}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        });
      } catch (err) {
        fail(
          new Error(
            `cannot reach the gateway at ${base}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
          ),
        );
      }
      const body = (await res.json().catch(() => undefined)) as (ReloadAnswer & { detail?: string }) | undefined;
      if (!res.ok || !body)
        fail(new Error(`the gateway answered ${res.status}${body?.detail ? `: ${body.detail}` : ''}`));
      process.stdout.write(formatReload(body));
      if (body.outcome === 'invalid') process.exit(EXIT_CONFIG);
    });
}
