import * as vega from 'vega';
import { compile } from 'vega-lite';
/**
 * A Vega-Lite spec rendered to an SVG string on the server: no canvas, no browser, no script in
 * the page. Vega escapes every text it writes into the SVG (labels come from the ledger).
 */
export async function renderSvg(spec) {
    const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
    try {
        return await view.toSVG();
    }
    finally {
        view.finalize();
    }
}
