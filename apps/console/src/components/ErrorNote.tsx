import { ApiError } from '../lib/api';

/** A refusal or failure as the bridge explained it (its code and sentence). */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const text =
    error instanceof ApiError
      ? `${error.message} (${error.code})`
      : (error as Error).message || String(error);
  return (
    <p className="error" role="alert">
      {text}
    </p>
  );
}
