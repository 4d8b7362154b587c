const SCRIPT = [
  'status=0',
  'for file in "$@"; do',
  '  case "$file" in',
  '    *.js|*.mjs|*.cjs) node --check "$file" || status=1 ;;',
  '    *.py) python3 -c "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])" "$file" || status=1 ;;',
  '    *.json) node -e "JSON.parse(require(\'fs\').readFileSync(process.argv[1], \'utf8\'))" "$file" || { echo "$file: invalid JSON" >&2; status=1; } ;;',
  '  esac',
  'done',
  'exit $status',
].join('\n');

const CHECKABLE = /\.(js|mjs|cjs|py|json)$/;

/**
 * The check after an edit when the repository names none: a syntax check of the edited files
 * (`node --check` for JavaScript, Python's own parser, JSON parse), run in the sandbox like any
 * check. Undefined when no edited file is of a checkable type.
 */
export function syntaxCheckCommand(paths: string[]): string[] | undefined {
  const files = paths.filter((path) => CHECKABLE.test(path)).sort();
  if (files.length === 0) return undefined;
  return ['sh', '-c', SCRIPT, 'syntax-check', ...files];
}
