import { RpcError, type Room } from '@livekit/rtc-node';
import { PhoneRpcRefusal, type PhoneRpcCall } from './phone-line.js';

/** How long an RPC to a line that joined early waits for the call's session (the call is ringing). */
const EARLY_RPC_WAIT_MS = 30_000;

type PhoneRpcHandler = (call: PhoneRpcCall) => Promise<string>;

/**
 * The RPC methods the phone participant answers in its room. A line that joined early answers the
 * contract's methods from the start: a call that comes while the call still rings waits (at most
 * {@link EARLY_RPC_WAIT_MS}) for the call's session to take the line and register its handler.
 */
export class PhoneRpcMethods {
  private readonly answered = new Set<string>();
  private readonly handlers = new Map<string, PhoneRpcHandler>();
  /** Calls waiting for a handler (an early line's, before its session registered them). */
  private readonly waiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly room: Room) {}

  register(method: string, handler: PhoneRpcHandler): void {
    this.handlers.set(method, handler);
    for (const ready of this.waiters.splice(0)) ready();
    this.answer(method);
  }

  /** Answers `method` in the room from now on (its handler may come later). */
  answer(method: string): void {
    const local = this.room.localParticipant;
    if (this.closed || this.answered.has(method) || !local) return;
    this.answered.add(method);
    local.registerRpcMethod(method, async ({ callerIdentity, payload }) => {
      const handler = this.handlers.get(method) ?? (await this.handlerOf(method));
      if (!handler) throw RpcError.builtIn('UNSUPPORTED_METHOD');
      try {
        return await handler({ callerIdentity, payload });
      } catch (err) {
        // The contract's refusals reach the caller as RPC errors with their code.
        if (err instanceof PhoneRpcRefusal) throw new RpcError(err.code, err.message);
        throw err;
      }
    });
  }

  /**
   * Takes every method off the room, first of all on leaving: rtc-node keeps a room alive while
   * RPC handlers point at it. Calls still waiting get "unsupported".
   */
  close(): void {
    this.closed = true;
    for (const method of this.answered) this.room.localParticipant?.unregisterRpcMethod(method);
    this.answered.clear();
    this.handlers.clear();
    for (const ready of this.waiters.splice(0)) ready();
  }

  /** The handler once the session registers it, or undefined after the wait or once closed. */
  private async handlerOf(method: string): Promise<PhoneRpcHandler | undefined> {
    const deadline = Date.now() + EARLY_RPC_WAIT_MS;
    while (!this.closed && !this.handlers.has(method) && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        timer = setTimeout(resolve, deadline - Date.now());
      });
      clearTimeout(timer);
    }
    return this.handlers.get(method);
  }
}
