import { columnTypes, type Database, type Migration, migrate } from '@atb/storage';

interface ImageHistoryTables {
  gateway_image_history: {
    id: number;
    target: string;
    /** The image as the container names it (`localhost/app:2`). */
    image: string;
    /** The engine's image id: what a rollback recreates from (a tag may have moved since). */
    image_id: string;
    /** When the gateway first saw the target run this image (ISO 8601). */
    first_seen_at: string;
  };
}

const migrations: Record<string, Migration> = {
  '001_image_history': {
    async up(db, dialect) {
      const types = columnTypes(dialect);
      await db.schema
        .createTable('gateway_image_history')
        .addColumn('id', types.serialId, (column) => (dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement()))
        .addColumn('target', 'text', (column) => column.notNull())
        .addColumn('image', 'text', (column) => column.notNull())
        .addColumn('image_id', 'text', (column) => column.notNull())
        .addColumn('first_seen_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('gateway_image_history_target').on('gateway_image_history').columns(['target', 'id']).execute();
    },
  },
};

/** One image a target ran, oldest first in a history. */
export interface ImageRecord {
  image: string;
  image_id: string;
  first_seen_at: string;
}

/** Entries kept per target; older ones are dropped. */
const KEPT_PER_TARGET = 20;

/**
 * Which images each target ran, in order: the gateway records the image every time it looks at
 * a target (inspect, and after each operation), so "the image before the last change" is known
 * when a rollback is asked for. Shared by replicas through the database.
 */
export class ImageHistoryStore {
  private constructor(private readonly database: Database<ImageHistoryTables>) {}

  static async open(database: Database<unknown>): Promise<ImageHistoryStore> {
    await migrate(database, 'gateway_image_history', migrations);
    return new ImageHistoryStore(database as Database<ImageHistoryTables>);
  }

  /** Records that `target` runs `imageId` now; nothing when that is already its newest entry. True when it was a change. */
  async observe(target: string, image: string, imageId: string, seenAt: Date): Promise<boolean> {
    return this.database.db.transaction().execute(async (trx) => {
      const newest = await trx.selectFrom('gateway_image_history').select(['image_id']).where('target', '=', target).orderBy('id', 'desc').limit(1).executeTakeFirst();
      if (newest?.image_id === imageId) return false;
      await trx.insertInto('gateway_image_history').values({ target, image, image_id: imageId, first_seen_at: seenAt.toISOString() } as never).execute();
      const keep = await trx.selectFrom('gateway_image_history').select(['id']).where('target', '=', target).orderBy('id', 'desc').offset(KEPT_PER_TARGET).limit(1).executeTakeFirst();
      if (keep) await trx.deleteFrom('gateway_image_history').where('target', '=', target).where('id', '<=', keep.id).execute();
      return true;
    });
  }

  /** The target's images, oldest first (the last is what it runs now, as far as the gateway saw). */
  async history(target: string): Promise<ImageRecord[]> {
    const rows = await this.database.db
      .selectFrom('gateway_image_history')
      .select(['image', 'image_id', 'first_seen_at'])
      .where('target', '=', target)
      .orderBy('id', 'asc')
      .execute();
    return rows.map((row) => ({ image: row.image, image_id: row.image_id, first_seen_at: row.first_seen_at }));
  }
}

/** The image to roll back to: the entry before the one the target runs now. */
export function previousImage(history: ImageRecord[], currentImageId: string): ImageRecord | undefined {
  const index = history.findLastIndex((record) => record.image_id === currentImageId);
  return index > 0 ? history[index - 1] : undefined;
}
