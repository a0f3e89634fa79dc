import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** The errno code of a failed file-system call (ENOENT, EACCES), or undefined for any other error. */
export const errorCode = (error: unknown): string | undefined =>
  error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

/** What an errno means, in the words a user reads after "Cannot read <path>: ". */
export function fileErrorReason(error: unknown): string {
  switch (errorCode(error)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'it does not exist';
    case 'ENOTDIR':
      return 'it is not a folder';
    case 'ELOOP':
      return 'its symbolic links point round in a loop';
    case 'EIO':
      return 'the disk reported a read error';
    case 'EROFS':
      return 'the disk is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EEXIST':
      return 'something is already there';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'ENOTEMPTY':
      return 'the folder is not empty';
    case 'ENAMETOOLONG':
      return 'its name is too long';
    case 'EBUSY':
      return 'it is in use';
    case 'EXDEV':
      return 'it is on another disk';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many files are open';
    default:
      return plainReason(error);
  }
}

/** Node's own words for an error (its "EXYZ: " code and ", open '/path'" left out), or the error's message. */
function plainReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (!errorCode(error)) return error.message;
  return error.message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
}

/** Whether `path` is a folder; false where it is anything else, or nothing, or cannot be looked at. */
export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The nearest existing path on the way to `path` (itself included), when it is a file: nothing can go below it. */
export function fileInTheWay(path: string): string | undefined {
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  return isFolder(existing) ? undefined : existing;
}

const ACTIONS: Record<string, string> = {
  mkdir: 'create the folder',
  open: 'open',
  rename: 'move a file to',
  copyfile: 'copy a file to',
  link: 'link a file to',
  unlink: 'remove',
  rmdir: 'remove',
  scandir: 'read the folder',
  write: 'write to',
};

/** Calls that make something at the path: there, ENOENT means the folder it goes in is missing. */
const MAKES = new Set(['mkdir', 'rename', 'copyfile', 'link']);

/**
 * A failed file-system call as one sentence that names the path ("Cannot create the folder /x/y: /x is a file, not
 * a folder."), instead of node's "ENOTDIR: not a directory, mkdir '/x/y'"; undefined for any other error.
 */
export function fileErrorSentence(error: unknown): string | undefined {
  const code = errorCode(error);
  const { path, syscall = '' } = error as { path?: unknown; syscall?: string };
  if (!code || typeof path !== 'string') return undefined;
  const blocker = code === 'ENOTDIR' || code === 'EEXIST' ? fileInTheWay(dirname(path)) : undefined;
  const reason = blocker
    ? `${blocker} is a file, not a folder`
    : code === 'ENOENT' && MAKES.has(syscall)
      ? 'the folder it goes in does not exist, or cannot hold it'
      : fileErrorReason(error);
  return `Cannot ${ACTIONS[syscall] ?? 'use'} ${path}: ${reason}.`;
}
