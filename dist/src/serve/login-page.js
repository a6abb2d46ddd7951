import { html } from "./html.js";
import { layout } from "./layout.js";
/** The sign-in form: the API token is the password (the same tokens as for automation). */
export function renderLoginPage(input) {
    return layout({
        title: 'Sign in',
        user: null,
        body: html `<h1>Sign in to recon</h1>
${input.error ? html `<p class="error" role="alert">${input.error}</p>` : ''}
<form method="post" action="/login">
<fieldset><legend>API token</legend>
<input type="hidden" name="_csrf" value="${input.csrf}"><input type="hidden" name="next" value="${input.next}">
<label for="token">Token (from RECON_API_TOKENS or http.tokens in the settings file)</label>
<input id="token" name="token" type="password" autocomplete="current-password" size="48" required autofocus>
<p><button type="submit">Sign in</button></p>
</fieldset></form>
<p class="note">A read token shows the periods and downloads workbooks; a <code>:rerun</code> token also starts runs, closes and reopens periods and decides disputes. The session cookie is HttpOnly and SameSite=Strict, and lasts 12 hours.</p>`,
    });
}
export function renderErrorPage(input) {
    return layout({
        title: `Error ${input.status}`,
        user: null,
        body: html `<h1>${input.status}: ${input.message}</h1>${input.hint ? html `<p>Next: ${input.hint}</p>` : ''}<p><a href="/">Back to the periods</a></p>`,
    });
}
