// Server-sent events read with fetch: the kitchen stream needs the admin token in the
// `Authorization` header, which the browser's EventSource cannot send (and a token in the URL
// would end up in access logs). The parsing follows the WHATWG event-stream rules.

/**
 * Opens one stream and delivers its events until it ends.
 * @param {string} url
 * @param {{token: string, lastEventId?: string, signal?: AbortSignal,
 *          onOpen?: () => void, onEvent: (event: {type: string, data: string, id: string}) => void}} options
 * @returns {Promise<{status: number, lastEventId: string}>} when the stream ends or fails to
 *   open (`status` is the HTTP status, 0 for a network failure).
 */
export async function readEventStream(url, { token, lastEventId = "", signal, onOpen, onEvent }) {
  const headers = { Accept: "text/event-stream", Authorization: `Bearer ${token}` };
  if (lastEventId) headers["Last-Event-ID"] = lastEventId;
  let response;
  try {
    response = await fetch(url, { headers, signal, cache: "no-store" });
  } catch {
    return { status: 0, lastEventId };
  }
  if (!response.ok || !response.body) return { status: response.status, lastEventId };
  onOpen?.();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let type = "";
  let data = [];
  let id = lastEventId;
  const line = (text) => {
    if (text === "") {
      if (data.length > 0) onEvent({ type: type || "message", data: data.join("\n"), id });
      type = "";
      data = [];
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") type = value;
    else if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\0")) id = value;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.search(/\r\n|\r|\n/)) !== -1) {
        // A lone CR at the end may be the first half of a CRLF split across chunks.
        if (buffer[end] === "\r" && end === buffer.length - 1) break;
        const match = buffer.slice(end).startsWith("\r\n") ? 2 : 1;
        line(buffer.slice(0, end));
        buffer = buffer.slice(end + match);
      }
    }
  } catch {
    // A dropped connection ends the stream like a closed one: the caller reconnects.
  }
  return { status: response.status, lastEventId: id };
}
