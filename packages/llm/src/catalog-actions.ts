/**
 * Keeps a model's recommended actions inside the runbook catalog. An entry is kept when its
 * first word is a candidate action and the rest is empty, the service's name, or (for
 * `escalate`) "to a human"; it is rewritten to the canonical form the rule analyzer uses
 * (`restart market-predictor`, `escalate to a human`). Everything else — other actions, other
 * targets, shell text, prompt-injected requests — is dropped and reported.
 */
export function keepCatalogActions(
  recommended: string[],
  candidates: string[],
  service: string,
): { kept: string[]; dropped: string[] } {
  const allowed = new Set(candidates.map((candidate) => candidate.toLowerCase()));
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const entry of recommended) {
    const match = /^\s*([a-z_-]+)\s*(.*?)\s*\.?$/i.exec(entry);
    const action = match?.[1]?.toLowerCase();
    const rest = (match?.[2] ?? '').toLowerCase();
    const restAllowed =
      rest === '' ||
      rest === service.toLowerCase() ||
      rest === `the ${service.toLowerCase()}` ||
      (action === 'escalate' && /^(to )?(a )?(human|on-?call|operator)s?$/.test(rest));
    if (action === undefined || !allowed.has(action) || !restAllowed) {
      dropped.push(entry);
      continue;
    }
    const canonical = action === 'escalate' ? 'escalate to a human' : `${action} ${service}`;
    if (!kept.includes(canonical)) kept.push(canonical);
  }
  return { kept, dropped };
}

/** The catalog action an entry stands for (`restart market-predictor` → `restart`), or `none`. */
export function actionName(entry: string | undefined): string {
  if (entry === undefined) return 'none';
  return /^\s*([a-z_-]+)/i.exec(entry)?.[1]?.toLowerCase() ?? 'none';
}
