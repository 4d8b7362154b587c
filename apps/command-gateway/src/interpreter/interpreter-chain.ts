import type { Interpretation, InterpretRequest, IntentInterpreter } from './intent-interpreter.js';

/**
 * Asks each interpreter in turn and takes the first plan. The rule-based interpreter goes first;
 * a fallback (an LLM) is asked only when the rules could not read the intent. If none reads it,
 * the first refusal is returned (its reason and examples are the most concrete). A fallback that
 * throws counts as a refusal, never as a plan.
 */
export class InterpreterChain implements IntentInterpreter {
  readonly name: string;

  constructor(private readonly interpreters: IntentInterpreter[]) {
    if (interpreters.length === 0) throw new Error('InterpreterChain needs at least one interpreter');
    this.name = interpreters.map((interpreter) => interpreter.name).join('+');
  }

  async interpret(input: InterpretRequest): Promise<Interpretation> {
    let firstRefusal: Interpretation | undefined;
    for (const interpreter of this.interpreters) {
      let interpretation: Interpretation;
      try {
        interpretation = await interpreter.interpret(input);
      } catch (error) {
        interpretation = {
          ok: false,
          reason: `interpreter ${interpreter.name} failed: ${error instanceof Error ? error.message : String(error)}`,
          accepted_examples: [],
        };
      }
      if (interpretation.ok) return { ...interpretation, interpreter: interpretation.interpreter ?? interpreter.name };
      firstRefusal ??= interpretation;
    }
    return firstRefusal as Interpretation;
  }
}
