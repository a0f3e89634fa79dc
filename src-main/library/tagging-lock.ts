import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import type { Db } from '../db/database.js';

/** The lock lives in the settings table, so it needs no migration of its own. */
const KEY = 'tagging-lock';
/** How often a holder says it is still there. */
const HEARTBEAT_MS = 5_000;
/**
 * A heartbeat this old means the holder is gone though its pid answers (reused by another program, or a holder on
 * another machine, whose pid cannot be asked): twelve missed beats, far beyond any pause of a working holder.
 */
const STALE_MS = 60_000;

/** What the settings row holds, as JSON. */
interface Claim {
  /** This claim's own id, so a holder never mistakes a successor's claim for its own. */
  id: string;
  /** How another Phototag names the holder: "phototag tag", "serve", "the desktop app". */
  holder: string;
  pid: number;
  hostname: string;
  heartbeatAt: number;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

interface Statements {
  read: Database.Statement<[string]>;
  write: Database.Statement<[string, string]>;
  beat: Database.Statement<[number, string, string]>;
  release: Database.Statement<[string, string]>;
}

function readClaim(statements: Statements): Claim | undefined {
  const row = statements.read.get(KEY) as { value: string } | undefined;
  if (!row) return undefined;
  try {
    return JSON.parse(row.value) as Claim;
  } catch {
    // Not a claim any Phototag wrote: nobody holds it.
    return undefined;
  }
}

/** Whether the claim's holder is still at work: its process runs (where that can be asked) and its heart beats. */
function isLive(claim: Claim, now: number): boolean {
  if (claim.hostname === hostname() && !isRunning(claim.pid)) return false;
  return now - claim.heartbeatAt < STALE_MS;
}

const describeHolder = (claim: Claim) =>
  `${claim.holder}, pid ${claim.pid}${claim.hostname === hostname() ? '' : ` on ${claim.hostname}`}`;

/**
 * One writer of tagging work per library, across processes: the holder's claim (who, pid, host, heartbeat) is a row
 * of the library's own database, taken in one IMMEDIATE transaction so two processes cannot both see it free. A
 * claim whose process is gone, or whose heartbeat stopped, is taken over. Reading and correcting need no claim.
 */
export class TaggingLock {
  private readonly timer: NodeJS.Timeout;
  private readonly onExit = () => this.release();
  private released = false;

  private constructor(
    private readonly statements: Statements,
    private readonly claim: Claim,
    onLost: (message: string) => void,
  ) {
    this.timer = setInterval(() => {
      if (this.beat()) return;
      const successor = readClaim(statements);
      this.release();
      const who = successor ? ` (${describeHolder(successor)})` : '';
      onLost(`This Phototag stopped tagging the library: it stalled, and another Phototag${who} took over.`);
    }, HEARTBEAT_MS);
    this.timer.unref();
    // A process that exits without closing its library (process.exit, an uncaught error) still lets go.
    process.on('exit', this.onExit);
  }

  /**
   * Makes this process the library's tagging writer. Throws, naming the live holder, otherwise, and `instead` after
   * "stop it first, or" when there is something to do there instead ("add the folder there").
   * `onLost` hears when a successor took the claim over anyway (this process stalled past STALE_MS).
   */
  static claim(db: Db, holder: string, onLost: (message: string) => void, instead?: string): TaggingLock {
    const statements: Statements = {
      read: db.prepare('SELECT value FROM settings WHERE key = ?'),
      write: db.prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      beat: db.prepare(
        "UPDATE settings SET value = json_set(value, '$.heartbeatAt', ?) WHERE key = ? AND json_extract(value, '$.id') = ?",
      ),
      release: db.prepare("DELETE FROM settings WHERE key = ? AND json_extract(value, '$.id') = ?"),
    };
    const claim: Claim = { id: randomUUID(), holder, pid: process.pid, hostname: hostname(), heartbeatAt: Date.now() };
    db.transaction(() => {
      const current = readClaim(statements);
      if (current && isLive(current, claim.heartbeatAt)) {
        throw new Error(
          `Another Phototag (${describeHolder(current)}) is tagging this library; stop it first` +
            (instead ? `, or ${instead}.` : '.'),
        );
      }
      statements.write.run(KEY, JSON.stringify(claim));
    }).immediate();
    return new TaggingLock(statements, claim, onLost);
  }

  /** Lets go of the claim, if it is still this one's; idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    process.off('exit', this.onExit);
    try {
      this.statements.release.run(KEY, this.claim.id);
    } catch {
      // The database is closed already or busy: the claim's process is gone by the time anyone asks.
    }
  }

  /** Refreshes the heartbeat; false once the claim is no longer this one's. */
  private beat(): boolean {
    try {
      return this.statements.beat.run(Date.now(), KEY, this.claim.id).changes === 1;
    } catch {
      // Busy past the timeout, or closed under us: the next beat tries again.
      return true;
    }
  }
}
