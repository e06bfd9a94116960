/**
 * @internal
 * The command registry: `kiq <name>` dispatches to `commands[name]`.
 * To add a command, create `src/cli/commands/<name>.ts` exporting a
 * {@link Command} and add one line below; `kiq --help` lists entries in
 * this order.
 */

import type { Command } from '../command.js';
import { demoCommand } from './demo.js';
import { dumpCommand } from './dump.js';
import { genCommand } from './gen.js';
import { enqueueCommand } from './enqueue.js';
import { healthCommand } from './health.js';
import { busyCommand, processesCommand, quietCommand, stopCommand } from './processes.js';
import { deadCommand, retriesCommand, scheduledCommand } from './sets.js';
import { queueCommand, queuesCommand, statsCommand } from './stats.js';
import { webCommand } from './web.js';
import { workCommand } from './work.js';

/** Every `kiq` command by name. */
export const commands: Record<string, Command> = {
  work: workCommand,
  enqueue: enqueueCommand,
  stats: statsCommand,
  queues: queuesCommand,
  queue: queueCommand,
  processes: processesCommand,
  busy: busyCommand,
  retries: retriesCommand,
  scheduled: scheduledCommand,
  dead: deadCommand,
  quiet: quietCommand,
  stop: stopCommand,
  dump: dumpCommand,
  health: healthCommand,
  web: webCommand,
  demo: demoCommand,
  gen: genCommand,
  // Commands register here, e.g.
  //   import { genCommand } from './gen.js';   ...   gen: genCommand,
};
