import { html } from "./html.js";
const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:.6rem 1.5rem;display:flex;gap:1.5rem;align-items:center}
header a{color:#fff;text-decoration:none}header .who{margin-left:auto;font-size:.9rem;display:flex;gap:.8rem;align-items:center}
header form{margin:0}header button{background:none;border:1px solid #8c959f;color:#fff;border-radius:4px;padding:.15rem .6rem;cursor:pointer}
main{padding:1rem 1.5rem 3rem;max-width:1280px}
h1{font-size:1.5rem;margin:.6rem 0 1rem}h2{font-size:1.15rem;margin:1.8rem 0 .6rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;background:#fff;margin:.3rem 0 1rem;font-size:.9rem}
td,th{border-bottom:1px solid #d8dee4;padding:.35rem .7rem;text-align:left;vertical-align:top}
th{background:#eaeef2;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:600;border-top:2px solid #8c959f}
.tag{display:inline-block;border-radius:10px;padding:0 .5rem;font-size:.8rem;background:#eaeef2}
.breach{background:#ffebe9;color:#a40e26}.review{background:#fff8c5;color:#7d4e00}.ok,.succeeded,.accepted{background:#dafbe1;color:#116329}
.failed,.rejected{background:#ffebe9;color:#a40e26}.running,.open{background:#ddf4ff;color:#0550ae}.closed{background:#eaeef2}
.chargeback{background:#dafbe1;color:#116329}.showback{background:#fff8c5;color:#7d4e00}
.note{color:#57606a;font-size:.9rem;max-width:70rem}.error{background:#ffebe9;border:1px solid #ff818266;padding:.6rem 1rem;border-radius:6px}
.flash{background:#dafbe1;border:1px solid #4ac26b66;padding:.6rem 1rem;border-radius:6px}
.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:.5rem 0}.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.6rem 1rem;min-width:10rem}
.card .v{font-size:1.3rem;font-weight:600;font-variant-numeric:tabular-nums}.card .k{color:#57606a;font-size:.8rem}
.charts{display:flex;gap:1rem;flex-wrap:wrap}.chart{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.5rem}
form.inline{display:inline}input,select,textarea,button{font:inherit}code,.mono{font-family:ui-monospace,monospace;font-size:.85rem;word-break:break-all}
fieldset{border:1px solid #d0d7de;background:#fff;border-radius:6px;margin:.5rem 0 1rem;max-width:46rem}label{display:block;margin:.3rem 0}
nav.sub{display:flex;gap:1rem;margin-bottom:.5rem}
`;
/** The frame of every page: header with the period links and who is signed in. */
export function layout(input) {
    const period = input.period;
    return html `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} — recon</title><style>${STYLE}</style></head>
<body>
<header><a href="/"><strong>recon</strong></a>
${period ? html `<a href="/app/periods/${period}">Period ${period}</a><a href="/app/periods/${period}/disputes">Disputes</a><a href="/app/periods/${period}/runs">Runs</a>` : ''}
<a href="/app/trace">Request trace</a>
${input.user ? html `<span class="who">${input.user.name}${input.user.rerun ? ' (rerun)' : ' (read)'}${input.user.csrf ? html `<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${input.user.csrf}"><button>Sign out</button></form>` : ''}</span>` : ''}
</header>
<main>
${input.body}
</main>
</body></html>
`;
}
/** The hidden CSRF field of a form (empty for Bearer clients, which need none). */
export function csrfField(user) {
    return user?.csrf ? html `<input type="hidden" name="_csrf" value="${user.csrf}">` : html ``;
}
