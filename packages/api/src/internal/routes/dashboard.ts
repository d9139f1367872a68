import type { Request, Response } from 'express';
import { DASHBOARD_CSP, loadAssets, NOT_BUILT, type Asset } from '../dashboard/assets.js';
import * as op from '../operations.js';
import { route, type Route } from '../route.js';

/** GET / and GET /ui/:file: the dashboard, public (it holds no data; it asks for a token when the API has one). */
export function dashboardRoutes(): Route[] {
  const assets = loadAssets();
  const send = (req: Request, res: Response, asset: Asset, cache: string): void => {
    res.set({ 'Content-Security-Policy': DASHBOARD_CSP, 'Content-Type': asset.type, ETag: asset.etag, 'Cache-Control': cache });
    if (req.get('if-none-match') === asset.etag) {
      res.status(304).end();
      return;
    }
    res.send(asset.body);
  };
  return [
    route(op.home, (_input, req, res) => {
      const page = assets?.get('index.html');
      if (!page) {
        res.status(503).set('Content-Security-Policy', DASHBOARD_CSP).type('html').send(NOT_BUILT);
        return;
      }
      send(req, res, page, 'no-cache');
    }),
    route(op.dashboardAsset, ({ params }, req, res) => {
      const asset = assets?.get(params.file);
      if (!asset) {
        res.status(503).set('Content-Security-Policy', DASHBOARD_CSP).type('text').send('the dashboard has not been built: run npm run build');
        return;
      }
      // Revalidated by ETag: the names do not change between builds.
      send(req, res, asset, 'no-cache');
    }),
  ];
}
