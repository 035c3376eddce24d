/**
 * The conversation: its items in order, as the server keeps them. Inserting, truncating and
 * deleting answer the `error` body the real API would send when the item named is not there.
 */
import { newId, type ClientItem, type ErrorBody, type ServerItem } from './_protocol.js';

/** Where `conversation.item.create` put an item. */
export interface Inserted {
  ok: true;
  item: ServerItem;
  previousId: string | null;
  /** At the tail: new input (history restored after a reconnect is inserted before it). */
  atTail: boolean;
}

export class Conversation {
  readonly items: ServerItem[] = [];

  /** Appends at the tail; returns the id of the item before it. */
  append(item: ServerItem): string | null {
    const previous = this.items.at(-1)?.id ?? null;
    this.items.push(item);
    return previous;
  }

  /** Replaces the item of the same id, if it is still there. */
  update(item: ServerItem): void {
    const at = this.items.findIndex((i) => i.id === item.id);
    if (at >= 0) this.items[at] = item;
  }

  /** `conversation.item.create`: after `previousId` (`root`: first; none: last). */
  insert(
    clientItem: ClientItem,
    previousId: string | null | undefined,
  ): Inserted | { ok: false; error: ErrorBody } {
    let index = this.items.length;
    if (previousId === 'root') index = 0;
    else if (previousId) {
      const at = this.items.findIndex((i) => i.id === previousId);
      if (at < 0) {
        const error = {
          type: 'invalid_request_error',
          code: 'previous_item_not_found',
          message: `Previous item with id '${previousId}' not found.`,
          param: 'previous_item_id',
        };
        return { ok: false, error };
      }
      index = at + 1;
    }
    const item = toServerItem(clientItem);
    if (this.items.some((i) => i.id === item.id)) {
      const error = {
        type: 'invalid_request_error',
        code: 'item_already_exists',
        message: `Item with id '${item.id}' already exists.`,
      };
      return { ok: false, error };
    }
    this.items.splice(index, 0, item);
    const previous = index === 0 ? null : (this.items[index - 1]?.id ?? null);
    return { ok: true, item, previousId: previous, atTail: index === this.items.length - 1 };
  }

  /** The name of the function a `function_call_output` answers, if its call is in the conversation. */
  functionName(callId: string): string | undefined {
    const call = this.items.find((i) => i.type === 'function_call' && i.call_id === callId);
    return call?.type === 'function_call' ? call.name : undefined;
  }

  /** `conversation.item.truncate` of an assistant message. */
  truncate(itemId: string): ErrorBody | undefined {
    const item = this.items.find((i) => i.id === itemId);
    if (!item || item.type !== 'message' || item.role !== 'assistant') {
      return {
        type: 'invalid_request_error',
        code: 'item_not_found',
        message: `Assistant message with id '${itemId}' not found.`,
      };
    }
    // The real API drops the text so the model's context holds only what the user heard.
    this.update({ ...item, content: [{ type: 'output_audio', transcript: '' }] });
    return undefined;
  }

  /** `conversation.item.delete`. */
  delete(itemId: string): ErrorBody | undefined {
    const at = this.items.findIndex((i) => i.id === itemId);
    if (at < 0) {
      return {
        type: 'invalid_request_error',
        code: 'item_not_found',
        message: `Item with id '${itemId}' not found.`,
      };
    }
    this.items.splice(at, 1);
    return undefined;
  }
}

function toServerItem(item: ClientItem): ServerItem {
  const id = item.id ?? newId('item');
  switch (item.type) {
    case 'message':
      return {
        id,
        object: 'realtime.item',
        type: 'message',
        role: item.role,
        status: 'completed',
        content: item.content,
      };
    case 'function_call':
      return {
        id,
        object: 'realtime.item',
        type: 'function_call',
        status: 'completed',
        call_id: item.call_id,
        name: item.name,
        arguments: item.arguments,
      };
    case 'function_call_output':
      return {
        id,
        object: 'realtime.item',
        type: 'function_call_output',
        status: 'completed',
        call_id: item.call_id,
        output: item.output,
      };
  }
}
