import type { Database } from '@atb/storage';
import { sql } from 'kysely';

/**
 * Makes the database itself refuse audit records of one action (a real trigger on `audit_log`,
 * as a full disk or a revoked grant would), until the returned function lifts it.
 */
export async function refuseAuditRecords(database: Database<unknown>, action: string): Promise<() => Promise<void>> {
  const { db } = database;
  if (!/^[a-z-]+$/.test(action)) throw new Error(`expected a noun-verb audit action, found "${action}"`);
  if (database.dialect === 'sqlite') {
    await sql.raw(`CREATE TRIGGER audit_log_refuse BEFORE INSERT ON audit_log WHEN NEW.action = '${action}' BEGIN SELECT RAISE(ABORT, 'audit write refused'); END`).execute(db);
    return async () => {
      await sql`DROP TRIGGER audit_log_refuse`.execute(db);
    };
  }
  await sql`CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit write refused'; END $$ LANGUAGE plpgsql`.execute(db);
  await sql.raw(`CREATE TRIGGER audit_log_refuse BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = '${action}') EXECUTE FUNCTION audit_log_refuse()`).execute(db);
  return async () => {
    await sql`DROP TRIGGER audit_log_refuse ON audit_log`.execute(db);
  };
}
