import { describe, expect, it } from 'vitest';
import { type RedactionProfile, redactSecrets, redactValue, redactionRules } from '../src/redaction.js';
import { ADVERSARIAL_FRAGMENTS, repeatTo } from './adversarial-inputs.js';

/** Every piece of the secret that could identify it: the whole, and each word of 4+ characters. */
function piecesOf(secret: string): string[] {
  return [secret, ...secret.split(/[\s"'\\]+/).filter((piece) => piece.length >= 4)];
}

/** [format, input, the secret inside it] — redacted by both profiles. */
const FORMATS_BOTH: [string, string, string][] = [
  ['escaped JSON', '{\\"password\\":\\"Tr0ub4dor&3 horse\\"}', 'Tr0ub4dor&3 horse'],
  ['escaped JSON, single key', 'body: "{\\"api_key\\": \\"k3y-9f8e7d6c5b4a\\"}"', 'k3y-9f8e7d6c5b4a'],
  ['quoted password with spaces', 'password = "correct horse battery staple"', 'correct horse battery staple'],
  ['JSON password with spaces', '{"password": "my very hidden words"}', 'my very hidden words'],
  ['single-quoted with spaces', "db_password: 'open sesame 42'", 'open sesame 42'],
  ['Azure AccountKey', 'DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Zm9vYmFyYmF6cXV4Kw+/eHl6MTIz==;EndpointSuffix=core.windows.net', 'Zm9vYmFyYmF6cXV4Kw+/eHl6MTIz=='],
  ['Azure SharedAccessKey', 'Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=c2VjcmV0c2VjcmV0c2VjcmV0=', 'c2VjcmV0c2VjcmV0c2VjcmV0='],
  ['Cookie header', 'Cookie: session=9f8e7d6c5b4a3210; theme=dark', '9f8e7d6c5b4a3210'],
  ['Set-Cookie header', 'Set-Cookie: sid=s%3Aabc123def456ghi; Path=/; HttpOnly; SameSite=Strict', 's%3Aabc123def456ghi'],
  ['GitLab token', 'GITLAB = "glpat-Ab12Cd34Ef56Gh78Ij90"', 'glpat-Ab12Cd34Ef56Gh78Ij90'],
  ['npm token', '//registry.npmjs.org/:_authToken=npm_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5', 'npm_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5'],
  ['Hugging Face token', 'const hub = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345";', 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345'],
  ['Slack webhook URL', 'SLACK_URL: "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"', 'T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
  ['--password=x', 'mysql --user=root --password=S3cretPass! -h db', 'S3cretPass!'],
  ['--password x', 'pg_dump --password Sup3rS3cret --host db', 'Sup3rS3cret'],
  ['--db-pass "x y"', 'run --db-pass "two words" now', 'two words'],
  ['DB_PASS=', 'DB_PASS=pa55w0rdValue', 'pa55w0rdValue'],
  ['connection string', 'postgres://app:s3cr3tDbPass@db.internal:5432/prod', 's3cr3tDbPass'],
  ['GitHub token', 'token: ghp_abcdefghijklmnopqrstuvwxyz012345', 'ghp_abcdefghijklmnopqrstuvwxyz012345'],
  ['dotenv secret', 'export DB_PASSWORD=hunter2hunter2', 'hunter2hunter2'],
];

/** Formats only the default profile (alerts, logs, tool output) redacts. */
const FORMATS_DEFAULT: [string, string, string][] = [
  ['unquoted log value', 'login failed password=hunter2 user=bob', 'hunter2'],
  ['YAML', 'password: hunter2', 'hunter2'],
  ['cookie in a log line', 'GET / 200 cookie: a=1; session=abcdef123456', 'abcdef123456'],
];

/** Formats the code profile must redact too: YAML files are source files. */
const FORMATS_CODE: [string, string, string][] = [
  ['YAML password', 'database:\n  host: db\n  password: hunter2\n  user: app', 'hunter2'],
  ['YAML list item', '- token: abcd-1234-efgh\n', 'abcd-1234-efgh'],
  ['YAML with comment', '  secret: s3cr3t-value  # rotate monthly', 's3cr3t-value'],
  ['YAML with spaces', 'smtp_password: correct horse battery', 'correct horse battery'],
];

describe('redaction formats', () => {
  describe.each(['default', 'code'] as RedactionProfile[])('%s profile', (profile) => {
    const cases = [...FORMATS_BOTH, ...(profile === 'code' ? FORMATS_CODE : FORMATS_DEFAULT)];
    it.each(cases)('%s', (_format, input, secret) => {
      const redacted = redactSecrets(input, { profile });
      expect(redacted).toContain('[REDACTED:');
      for (const piece of piecesOf(secret)) expect(redacted, `${piece} is left in ${redacted}`).not.toContain(piece);
    });
  });

  it('keeps names around the secret, so the model still understands the text', () => {
    expect(redactSecrets('{\\"password\\":\\"a b c d\\"}')).toBe('{\\"password\\":\\"[REDACTED:secret]\\"}');
    expect(redactSecrets('password = "correct horse battery staple";')).toBe('password = "[REDACTED:secret]";');
    expect(redactSecrets('Set-Cookie: sid=abc123def456; Path=/; HttpOnly')).toBe('Set-Cookie: sid=[REDACTED:cookie]; Path=/; HttpOnly');
    expect(redactSecrets('https://hooks.slack.com/services/T0/B0/XYZ')).toBe('https://hooks.slack.com/services/[REDACTED:slack-webhook]');
    expect(redactSecrets('mysql --password=abc123 -h db')).toBe('mysql --password=[REDACTED:secret] -h db');
    expect(redactSecrets('password: hunter2', { profile: 'code' })).toBe('password: [REDACTED:secret]');
  });

  it('redacts the values of cookie and DB_PASS keys in objects', () => {
    expect(redactValue({ headers: { cookie: 'a=b', 'set-cookie': 'c=d' }, env: { DB_PASS: 'x', BYPASS: 'y' } })).toEqual({
      headers: { cookie: '[REDACTED:secret]', 'set-cookie': '[REDACTED:secret]' },
      env: { DB_PASS: '[REDACTED:secret]', BYPASS: 'y' },
    });
  });

  it('is idempotent: redacting twice changes nothing more', () => {
    const text = [...FORMATS_BOTH, ...FORMATS_DEFAULT].map(([, input]) => input).join('\n');
    const once = redactSecrets(text);
    expect(redactSecrets(once)).toBe(once);
  });
});

/** Ordinary text both profiles keep byte for byte. */
const UNCHANGED_BOTH = [
  'GET /predict 200 12ms prompt_tokens: 123 http://127.0.0.1:8000/health author: Bob',
  'bypass=true passed: 12 compass: north',
  'the token bucket refills every second',
  'Set the password in your vault, never here.',
  'see https://example.com/docs?page=2&sort=asc',
  'Tests: 12 passed, 0 failed',
  'cookie: (none)',
];

/** Ordinary code the code profile keeps byte for byte. */
const UNCHANGED_CODE = [
  'const token = getToken();',
  'token = getToken()',
  `headers.Authorization = \`Bearer \${token}\`;`,
  'if (password === confirm) return;',
  'if (password == confirm) return;',
  'const apiKey = config.apiKey;',
  'const secret = process.env.SECRET;',
  `const url = \`postgres://\${user}:\${password}@\${host}/db\`;`,
  `password: "\${DB_PASSWORD}"`,
  'def login(password): token = make_token(password)',
  'API_TOKEN = os.environ["API_TOKEN"]',
  'DB_PASSWORD=$SECRET_FROM_ENV',
  "const TOKEN_HEADER = 'X-Auth-Token';",
  'interface Login {\n  password: string;\n  token: string\n  apiKey?: string\n}',
  'class Settings:\n    password: str\n    token: Optional[str] = None\n    secret: SecretStr',
  'const body = {\n  password: password,\n  token: newToken\n};',
  'const body = {\n  password,\n  secret: config.secret\n};',
  '  token: string | undefined',
  `password: \${{ secrets.DB_PASSWORD }}`,
  'password: !vault |',
  'token: *default_token',
  'args: [--password, "$PASSWORD"]',
  'psql --password "$DB_PASSWORD" --host db',
  'const onToken = (token) => send(token);',
  'for (const token of tokens) count(token);',
];

describe('redaction keeps ordinary text', () => {
  it.each(UNCHANGED_BOTH)('both profiles keep %j', (text) => {
    expect(redactSecrets(text)).toBe(text);
    expect(redactSecrets(text, { profile: 'code' })).toBe(text);
  });

  it.each(UNCHANGED_CODE)('the code profile keeps %j', (text) => {
    expect(redactSecrets(text, { profile: 'code' })).toBe(text);
  });
});

/** The former secret-assignment rule: rescans a key run from every position, so it is quadratic. */
const FORMER_ASSIGNMENT =
  /((?:["']?)\b[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|auth)["']?\s*[:=]\s*["']?)(?!\[REDACTED)([^\s"',;&}]{3,})/gi;

/** CPU time of one call, in milliseconds: waiting for a core on a busy machine does not count. */
function cpuMilliseconds(run: () => unknown): number {
  const started = process.cpuUsage();
  run();
  const { user, system } = process.cpuUsage(started);
  return (user + system) / 1000;
}

/** Ten times the input costs a linear rule about ten times as much, a quadratic one about a hundred times. */
const MAX_GROWTH = 40;
/**
 * A rule that handles the large input in less CPU time than this is linear whatever its ratio
 * says (a rule that rescans text takes seconds on 1 MB), and a ratio of sub-millisecond figures
 * is mostly noise: such a pair passes without the ratio.
 */
const NOISE_FLOOR_MS = 10;

/**
 * Whether `apply` grows linearly from `small` to `large` (ten times `small`): the fastest of a
 * few runs of each, measured here; the first run on `large` is also its warm-up (the heap grows
 * for it), and the measurement is retried while the ratio is over {@link MAX_GROWTH}, so one slow
 * run (a garbage collection, a compilation) cannot fail it while a super-linear rule stays over.
 */
function growth(apply: (text: string) => unknown, small: string, large: string) {
  let smallMs = Number.POSITIVE_INFINITY;
  let largeMs = cpuMilliseconds(() => apply(large));
  for (let attempt = 0; attempt < 4 && largeMs >= NOISE_FLOOR_MS; attempt += 1) {
    largeMs = Math.min(largeMs, cpuMilliseconds(() => apply(large)));
    for (let run = 0; run < 3; run += 1) smallMs = Math.min(smallMs, cpuMilliseconds(() => apply(small)));
    if (largeMs / smallMs < MAX_GROWTH) break;
  }
  const linear = largeMs < NOISE_FLOOR_MS || largeMs / smallMs < MAX_GROWTH;
  return { linear, summary: `${largeMs.toFixed(1)} ms on ${large.length} characters, ${smallMs.toFixed(2)} ms on ${small.length}` };
}

const LARGE = 1 << 20;
const SMALL = Math.round(LARGE / 10);

/**
 * Each rule on 1 MB of each adversarial input against 100 KB of the same input: a ratio measured
 * in the same test, so a loaded machine (which slows both) cannot fail it. The absolute goal
 * (< 100 ms per rule and 1 MB) is the benchmark's: `bench/llm/redaction.ts`, docs/benchmarks.md.
 */
describe('redaction runs in linear time', () => {
  const rules = (['default', 'code'] as const).flatMap((profile) =>
    redactionRules(profile).map((rule, index) => ({ name: `${profile} #${index} ${rule.kind}`, rule })),
  );

  const inputs = ADVERSARIAL_FRAGMENTS.map((fragment) => ({ fragment, small: repeatTo(fragment, SMALL), large: repeatTo(fragment, LARGE) }));

  it.each(rules)('$name: 1 MB of each adversarial input costs less than 40 times 100 KB of it', ({ rule }) => {
    for (const { fragment, small, large } of inputs) {
      rule.apply(small); // compiled before it is measured
      const { linear, summary } = growth((text) => rule.apply(text), small, large);
      expect(linear, `${JSON.stringify(fragment)}: ${summary}`).toBe(true);
    }
  });

  it('tells a quadratic rule from a linear one', () => {
    const replaceFormer = (text: string) => text.replace(FORMER_ASSIGNMENT, '$1[x]');
    const small = repeatTo('a.', 1_000);
    replaceFormer(small);
    const { linear, summary } = growth(replaceFormer, small, repeatTo('a.', 10_000));
    expect(linear, summary).toBe(false);
  });
});
