#!/usr/bin/env node
import { Command } from 'commander';
import { EXIT_CONFIG, StartupError } from './config/problems';
import { Kernel } from './kernel/Kernel';
import { describePipeline } from './kernel/describePipeline';
import { prepare } from './kernel/prepare';
import { resolveDatabaseUrl } from './config/loadConfig';
import { createDatabase } from './services/storage';
import { registerPluginCommands } from './cli/pluginCommands';
import { registerConfigReload } from './cli/configReload';
import { registerConfigValidate } from './cli/configValidate';
import { registerVersionsCommands } from './cli/versionsReport';
import { registerStart } from './cli/start';
import { CORE_VERSION } from './version';

const program = new Command('aihub')
  .version(CORE_VERSION)
  .description('AI Hub: a plugin-based, multi-tenant AI gateway');

// `aihub migrate status | head` closes our stdout early: that is the reader being done, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

/** A wrong argument on the command line: a usage line, never a stack trace (exit 64, EX_USAGE). */
class UsageError extends Error {}
const EXIT_USAGE = 64;

function fail(err: unknown): never {
  if (err instanceof UsageError) {
    process.stderr.write(`aihub: ${err.message}\n`);
    process.exit(EXIT_USAGE);
  }
  if (err instanceof StartupError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  process.stderr.write(`aihub: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
}

registerStart(program, fail);

const config = program.command('config').description('configuration commands');
registerConfigValidate(config, fail);

registerConfigReload(config, fail, (message) => fail(new UsageError(message)));

program
  .command('plugins')
  .description('plugin commands')
  .command('list')
  .description('list plugins with versions, dependencies and their hooks by phase in run order')
  .option('-c, --config <file>', 'config file')
  .option('--json', 'machine-readable output')
  .action(async (opts: { config?: string; json?: boolean }) => {
    try {
      const prepared = await prepare({ file: opts.config });
      const description = describePipeline(prepared);
      process.stdout.write(opts.json ? `${JSON.stringify(description.json, null, 2)}\n` : description.text);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('migrate <direction>')
  .description('database migrations: up | down | status')
  .option('-c, --config <file>', 'config file')
  .option('--steps <n>', 'how many migrations `down` reverts', (v) => Number(v), 1)
  .action(async (direction: string, opts: { config?: string; steps: number }) => {
    if (!['up', 'down', 'status'].includes(direction))
      fail(
        new UsageError(
          `unknown migrate direction "${direction}"; use: aihub migrate up|down|status [--config FILE] [--steps N]`,
        ),
      );
    if (!Number.isInteger(opts.steps) || opts.steps < 1)
      fail(new UsageError('--steps takes a whole number of migrations, 1 or more'));
    try {
      const prepared = await prepare({ file: opts.config });
      const db = await createDatabase({ url: resolveDatabaseUrl(prepared.config) });
      try {
        const sets = Kernel.migrationSets(prepared);
        if (direction === 'up') {
          const applied = await db.migrateUp(sets);
          process.stdout.write(
            applied.length ? `applied:\n${applied.map((m) => `  ${m}`).join('\n')}\n` : 'nothing to apply\n',
          );
        } else if (direction === 'down') {
          const reverted = await db.migrateDown(sets, opts.steps);
          process.stdout.write(
            reverted.length ? `reverted:\n${reverted.map((m) => `  ${m}`).join('\n')}\n` : 'nothing to revert\n',
          );
        } else {
          for (const s of await db.migrationStatus(sets))
            process.stdout.write(`${s.applied ? 'applied ' : 'pending '} ${s.owner}:${s.name}\n`);
        }
      } finally {
        await db.close();
      }
    } catch (err) {
      fail(err);
    }
  });

registerPluginCommands(program, fail);
registerVersionsCommands(program, fail, (message) => fail(new UsageError(message)));

program.parseAsync(process.argv).catch(fail);
