import { useState } from 'preact/hooks';
import { setToken, storedToken } from './api';

/** Asks for the bearer token the API wants; it is kept for this tab only. */
export function TokenForm() {
  const [value, setValue] = useState('');
  return (
    <form
      class="token-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (value.trim()) setToken(value);
      }}
    >
      <label for="token">Bearer token</label>
      <input
        id="token"
        type="password"
        autocomplete="off"
        spellcheck={false}
        value={value}
        onInput={(event) => setValue(event.currentTarget.value)}
        aria-describedby="token-hint"
      />
      <button type="submit">Use token</button>
      <p id="token-hint" class="hint">
        Kept in this tab’s session storage only; the console shows what the token’s projects and scopes allow.
      </p>
    </form>
  );
}

/** In the header: forget the token in use (then the API asks again). */
export function TokenStatus() {
  if (!storedToken()) return null;
  return (
    <button type="button" onClick={() => setToken(null)}>
      Forget token
    </button>
  );
}
