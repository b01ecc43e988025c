/** The one data-access interface. Data functions take a Queryable explicitly; there is no ambient connection. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Inside a transaction: the LAST statement of it. The transaction commits with it (PostgreSQL sends both in
   * one round trip) and nothing may follow. Ignored outside a transaction and by PGlite (which commits after).
   */
  final?: boolean;
}

export interface Queryable {
  query<T = Record<string, unknown>>(text: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<T>>;
}

/** A transaction handle: queries plus multi-statement scripts (migrations). */
export interface Tx extends Queryable {
  exec(sql: string): Promise<void>;
  /**
   * Wake the channel's listeners once this transaction has COMMITTED (Database.notify then; nothing on rollback).
   * Work that queues jobs calls it instead of NOTIFY inside the transaction (db/notify.ts says why).
   */
  notifyAfterCommit(channel: string): void;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Human-readable location for start-up logs (never includes a password). */
  readonly describe: string;
  /** Runs fn in ONE transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script (migrations only). */
  exec(sql: string): Promise<void>;
  /** Subscribe to NOTIFY on a channel (a wake-up hint only; callers must still poll). */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /**
   * Wakes the channel's listeners (every process's) AFTER the caller's commit: fire-and-forget, coalesced, a
   * hint only (db/notify.ts). Hot paths use this instead of NOTIFY inside their transaction.
   */
  notify(channel: string): void;
  close(): Promise<void>;
}

export const withTransaction = <T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> => db.transaction(fn);
