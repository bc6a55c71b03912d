import path from 'node:path';
import type { Command } from 'commander';
import { CliError, scaffoldPlugin } from './pluginNew';
import { updateReadme } from './pluginReadme';

/**
 * `aihub plugin new` and `aihub plugin readme`: tools for plugin authors. `fail` is the CLI's handler
 * for every other error (startup problems, stack traces).
 */
export function registerPluginCommands(program: Command, fail: (err: unknown) => never): void {
  const plugin = program.command('plugin').description('tools for writing a plugin package');
  const run = (action: () => Promise<void>) =>
    action().catch((err: unknown) => {
      if (!(err instanceof CliError)) fail(err);
      process.stderr.write(`aihub: ${err.message}\n`);
      process.exit(err.exitCode);
    });

  plugin
    .command('new <name>')
    .description('create a plugin package: manifest, config, hooks, routes, a passing test, README, build scripts')
    .option('--dir <path>', 'directory to create it in (default: ./<name without scope>); must be empty or absent')
    .option('--test-runner <runner>', 'node (node:test) or jest', 'node')
    .action((name: string, opts: { dir?: string; testRunner: string }) =>
      run(async () => {
        const r = await scaffoldPlugin({ name, dir: opts.dir, runner: opts.testRunner });
        const rel = path.relative(process.cwd(), r.dir) || '.';
        process.stdout.write(
          [
            `Created ${r.packageName} (plugin "${r.pluginName}", tests on ${r.runner === 'jest' ? 'Jest' : 'node:test'}) in ${rel}:`,
            ...r.files.map((f) => `  ${f}`),
            '',
            'Next:',
            `  cd ${rel}`,
            '  npm install',
            '  npm run build && npm test',
            `Then add to aihub.yaml:  - { name: ${r.pluginName}, package: <path to ${rel} from the config file's directory> }`,
            '',
          ].join('\n'),
        );
      }),
    );

  plugin
    .command('readme [dir]')
    .description("regenerate the config table in a plugin package's README.md from its built config schema")
    .option('--check', 'write nothing; exit 65 when the table is out of date')
    .action((dir: string | undefined, opts: { check?: boolean }) =>
      run(async () => {
        const r = await updateReadme(dir ?? '.', opts.check);
        process.stdout.write(`${r.file}: ${r.changed ? 'config table updated' : 'config table up to date'}\n`);
      }),
    );
}
