/** The subset of Prometheus' HTTP API the analysis needs: instant queries, cached. */
export class PrometheusClient {
  private readonly cache = new Map<string, { at: number; value: number | null }>();

  constructor(
    private readonly baseUrl: string,
    private readonly options: { cacheTtlSeconds: number; timeoutMs: number },
  ) {}

  /** The first sample of an instant query, `null` when empty or when Prometheus fails. */
  async query(promql: string): Promise<number | null> {
    const cached = this.cache.get(promql);
    if (cached && Date.now() - cached.at < this.options.cacheTtlSeconds * 1000) return cached.value;
    let value: number | null = null;
    try {
      const url = new URL('/api/v1/query', this.baseUrl);
      url.searchParams.set('query', promql);
      const response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs) });
      if (response.ok) {
        const body = (await response.json()) as { status?: string; data?: { result?: { value?: [number, string] }[] } };
        const sample = body.data?.result?.[0]?.value?.[1];
        value = sample === undefined ? null : Number(sample);
        if (value !== null && !Number.isFinite(value)) value = null;
      }
    } catch {
      value = null;
    }
    this.cache.set(promql, { at: Date.now(), value });
    return value;
  }
}
