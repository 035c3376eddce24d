import type { Response } from 'express';

/** Every API error has this shape: a stable code for programs, a sentence for people. */
export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}
