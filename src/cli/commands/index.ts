/**
 * @internal
 * The command registry: `kiq <name>` dispatches to `commands[name]`.
 * To add a command, create `src/cli/commands/<name>.ts` exporting a
 * {@link Command} and add one line below; `kiq --help` lists entries in
 * this order.
 */

import type { Command } from '../command.js';

/** Every `kiq` command by name. */
export const commands: Record<string, Command> = {
  // Commands register here, e.g.
  //   import { genCommand } from './gen.js';   ...   gen: genCommand,
};
