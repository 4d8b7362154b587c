import { randomUUID } from 'node:crypto';

const newId = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

/** A new incident id (`inc_…`). */
export const newIncidentId = () => newId('inc');

/** A new action id (`act_…`). */
export const newActionId = () => newId('act');
