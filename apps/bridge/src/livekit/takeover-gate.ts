import { OPERATOR_ATTRIBUTE, OPERATOR_MODES } from '@callbridge/room-contract';

/**
 * Which room audio the caller hears. Normally every remote audio track (the agent's); while an
 * operator who took the call over (`callbridge.operator: takeover`, set by the console's token) is
 * in the room, only theirs. They hand the call back by leaving.
 */
export class TakeoverGate {
  private readonly operators = new Set<string>();

  /** `onChange` gets the operator who has the call now, or null when the agent has it again. */
  constructor(private readonly onChange: (operator: string | null) => void) {}

  /** A participant joined or changed its attributes. */
  note(identity: string, attributes: Record<string, string>): void {
    const takingOver = attributes[OPERATOR_ATTRIBUTE] === OPERATOR_MODES.takeover;
    if (takingOver === this.operators.has(identity)) return;
    if (takingOver) this.operators.add(identity);
    else this.operators.delete(identity);
    this.changed();
  }

  left(identity: string): void {
    if (this.operators.delete(identity)) this.changed();
  }

  /** Whether this participant's audio goes to the caller now. */
  passes(identity: string): boolean {
    return this.operators.size === 0 || this.operators.has(identity);
  }

  private changed(): void {
    this.onChange(this.operators.size > 0 ? [...this.operators].at(-1)! : null);
  }
}
