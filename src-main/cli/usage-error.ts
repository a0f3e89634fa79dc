import type { CommandName } from './command-syntax.js';

/** A mistake in how the command was called: reported with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command it was made in, when the command line got as far as naming one. */
    readonly command?: CommandName,
  ) {
    super(message);
  }
}
