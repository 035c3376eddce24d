import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { Router } from 'express';

/**
 * `/console/`: the operator console's built files (apps/console/dist, CONSOLE_DIR). Hashed assets
 * are cached for good; every other path under /console/ answers the app's index.html, whose router
 * shows the page. Without a build, a plain answer says how to make one.
 */
export function consoleStatic(consoleDir: string): Router {
  const router = Router();
  const dir = resolve(consoleDir);
  const index = join(dir, 'index.html');
  router.use(
    '/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }),
  );
  router.use(express.static(dir, { index: false }));
  router.get(/.*/, (_req, res) => {
    if (!existsSync(index)) {
      res
        .status(404)
        .type('text/plain')
        .send('the console is not built: run `pnpm --filter @callbridge/console build` (or set CONSOLE_DIR)');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
