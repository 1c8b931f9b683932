// SafetyBot sandbox page: chat as any added user with the bot running against the local Bot API.
// Talks only to /sandbox/api/ (the same API SandboxClient uses); live updates by long polling. The channel
// picker switches to the WeCom sandbox (wecom.js) when the server has one.
"use strict";

const API = "/sandbox/api/";
const $ = (id) => document.getElementById(id);
const view = {
  channel: "telegram", // or "wecom" (wecom.js)
  userId: null,
  users: [],
  messages: new Map(), // message_id -> message view
  since: 0,
  generation: 0, // bumps on user switch; stale poll loops stop
  typingTimer: null,
  toastTimer: null,
};

async function api(method, path, body, params) {
  const url = new URL(API + path, location.origin);
  for (const [k, v] of Object.entries(params || {})) url.searchParams.set(k, v);
  const init = { method, cache: "no-store" };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  const response = await fetch(url, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(data.error || response.statusText), { status: response.status });
  return data;
}

function toast(text, alert = false) {
  const el = $("toast");
  el.textContent = text;
  el.classList.toggle("alert", alert);
  el.classList.remove("hidden");
  clearTimeout(view.toastTimer);
  view.toastTimer = setTimeout(() => el.classList.add("hidden"), alert ? 6000 : 3000);
}

function fail(error) {
  console.error(error);
  toast("出错了 (error): " + error.message);
}

// ---- people ---------------------------------------------------------------------------------------------
async function loadUsers() {
  if (view.channel !== "telegram") return;
  const data = await api("GET", "users");
  if (view.channel !== "telegram") return;
  if (data.bot) $("bot-name").textContent = "@" + data.bot.username;
  const key = JSON.stringify(data.users);
  if (key === JSON.stringify(view.users)) return;
  view.users = data.users;
  const picker = $("user-picker");
  picker.replaceChildren();
  for (const user of data.users) {
    const option = document.createElement("option");
    option.value = String(user.id);
    option.dataset.userId = String(user.id);
    option.textContent = user.label + (user.phone ? "" : "  (无手机号 no phone)");
    picker.append(option);
  }
  const fresh = document.createElement("option");
  fresh.value = "new";
  fresh.dataset.testid = "new-user-option";
  fresh.textContent = "＋ 新 Telegram 用户 (new Telegram user)";
  picker.append(fresh);
  if (view.userId !== null) picker.value = String(view.userId);
}

async function newUser() {
  const user = await api("POST", "users", {});
  await loadUsers();
  $("user-picker").value = String(user.id);
  await selectUser(user.id);
}

async function selectUser(userId) {
  view.userId = userId;
  view.generation += 1;
  const user = view.users.find((u) => u.id === userId) || { label: String(userId) };
  $("chat-title").textContent = user.label;
  $("user-info").textContent = `id ${userId}` + (user.phone ? ` · ${user.phone}` : "") +
    (user.language_code ? ` · ${user.language_code}` : "");
  for (const id of ["composer-input", "composer-send", "share-contact", "photo-input", "send-location"]) {
    $(id).disabled = false;
  }
  $("commands-list").classList.add("hidden");
  const chat = await api("GET", "chat", undefined, { user_id: userId });
  view.messages = new Map(chat.messages.map((m) => [m.message_id, m]));
  view.since = chat.seq;
  renderChat();
  renderReplyKeyboard(chat.reply_keyboard);
  setTyping(chat.typing);
  poll(view.generation);
  $("composer-input").focus();
}

// ---- live updates ---------------------------------------------------------------------------------------
async function poll(generation) {
  while (generation === view.generation) {
    try {
      const data = await api("GET", "updates", undefined, { user_id: view.userId, since: view.since, timeout: 25 });
      if (generation !== view.generation) return;
      for (const event of data.events) applyEvent(event);
      view.since = Math.max(view.since, data.seq);
      renderReplyKeyboard(data.reply_keyboard);
      if (!data.typing) setTyping(0);
    } catch (error) {
      console.warn("poll failed", error);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function applyEvent(event) {
  if (event.kind === "action") {
    setTyping(event.ttl);
    return;
  }
  const msg = event.message;
  if (msg.deleted) view.messages.delete(msg.message_id);
  else view.messages.set(msg.message_id, msg);
  if (msg.from_bot) setTyping(0);
  renderChat();
}

function setTyping(seconds) {
  clearTimeout(view.typingTimer);
  $("typing").classList.toggle("hidden", !(seconds > 0));
  if (seconds > 0) view.typingTimer = setTimeout(() => $("typing").classList.add("hidden"), seconds * 1000);
}

// ---- rendering ------------------------------------------------------------------------------------------
const ENTITY_CLASS = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "code", spoiler: "spoiler" };

function renderText(text, entities) {
  const box = document.createElement("div");
  box.className = "text";
  if (!entities || !entities.length) {
    box.textContent = text;
    return box;
  }
  // Entity offsets are UTF-16 code units, which is what JS string indices are.
  const marks = Array.from({ length: text.length }, () => ({ cls: new Set(), link: null }));
  for (const e of entities) {
    for (let i = e.offset; i < Math.min(text.length, e.offset + e.length); i++) {
      if (ENTITY_CLASS[e.type]) marks[i].cls.add(ENTITY_CLASS[e.type]);
      if (e.type === "text_link") marks[i].link = e.url;
      if (e.type === "url") marks[i].link = text.substr(e.offset, e.length);
    }
  }
  let start = 0;
  for (let i = 1; i <= text.length; i++) {
    const same = i < text.length && [...marks[i].cls].join() === [...marks[start].cls].join() && marks[i].link === marks[start].link;
    if (same) continue;
    const part = text.slice(start, i);
    const m = marks[start];
    let node = document.createTextNode(part);
    if (m.cls.size || m.link) {
      const span = document.createElement(m.link ? "a" : "span");
      if (m.link) { span.href = m.link; span.target = "_blank"; span.rel = "noopener"; }
      for (const c of m.cls) {
        if (c === "b") span.style.fontWeight = "bold";
        else if (c === "i") span.style.fontStyle = "italic";
        else if (c === "u") span.style.textDecoration = "underline";
        else if (c === "s") span.style.textDecoration = "line-through";
        else span.classList.add(c);
      }
      span.append(node);
      node = span;
    }
    box.append(node);
    start = i;
  }
  return box;
}

function renderMessage(msg) {
  const el = document.createElement("div");
  el.className = "message";
  el.dataset.testid = "message";
  el.dataset.from = msg.from_bot ? "bot" : "user";
  el.dataset.messageId = String(msg.message_id);
  if (msg.photo) {
    const img = document.createElement("img");
    img.src = msg.photo_url;
    img.alt = "photo";
    el.append(img);
  }
  if (msg.document) {
    const link = document.createElement("a");
    link.href = msg.document_url;
    link.download = msg.document.file_name || "file";
    link.textContent = "📄 " + (msg.document.file_name || "文件 (file)");
    el.append(link);
  }
  if (msg.contact) el.append(renderText(`📇 ${msg.contact.first_name} ${msg.contact.phone_number}`));
  if (msg.location) el.append(renderText(`📍 ${msg.location.latitude}, ${msg.location.longitude}`));
  if (msg.text !== undefined) el.append(renderText(msg.text, msg.entities));
  if (msg.caption !== undefined) el.append(renderText(msg.caption, msg.caption_entities));
  const rows = (msg.reply_markup && msg.reply_markup.inline_keyboard) || [];
  if (rows.length) {
    const kb = document.createElement("div");
    kb.className = "inline-keyboard";
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = "row";
      for (const button of row) {
        const b = document.createElement("button");
        b.type = "button";
        b.dataset.testid = "inline-button";
        b.textContent = button.text + (button.url ? " ↗" : "");
        b.addEventListener("click", () => pressInline(msg, button).catch(fail));
        line.append(b);
      }
      kb.append(line);
    }
    el.append(kb);
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  const time = new Date(msg.date * 1000).toLocaleTimeString();
  meta.textContent = `#${msg.message_id} · ${time}` + (msg.edited ? " · 已编辑 (edited)" : "");
  el.append(meta);
  return el;
}

function renderChat() {
  const chat = $("chat");
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
  const sorted = [...view.messages.values()].sort((a, b) => a.message_id - b.message_id);
  chat.replaceChildren(...sorted.map(renderMessage));
  if (atBottom || sorted.length < 8) chat.scrollTop = chat.scrollHeight;
}

function renderReplyKeyboard(markup) {
  const box = $("reply-keyboard");
  box.replaceChildren();
  for (const row of (markup && markup.keyboard) || []) {
    const line = document.createElement("div");
    line.className = "row";
    for (const button of row) {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.testid = "reply-button";
      b.textContent = button.text;
      b.addEventListener("click", () => pressReply(button).catch(fail));
      line.append(b);
    }
    box.append(line);
  }
}

// ---- actions --------------------------------------------------------------------------------------------
async function pressInline(msg, button) {
  if (button.url) {
    window.open(button.url, "_blank", "noopener");
    return;
  }
  if (button.callback_data === undefined) return;
  const pressed = await api("POST", "press", { user_id: view.userId, message_id: msg.message_id, data: button.callback_data });
  const answer = await api("GET", "callback_answer", undefined, { id: pressed.callback_query_id, timeout: 15 });
  if (answer.text) toast(answer.text, answer.show_alert);
}

async function pressReply(button) {
  if (button.request_contact) return shareContact();
  if (button.request_location) return sendLocation();
  await sendText(button.text);
}

async function sendText(text) {
  if (!text.trim() || view.userId === null) return;
  const sent = await api("POST", "send", { user_id: view.userId, text });
  applyEvent({ kind: "message", message: sent.message });
}

async function shareContact() {
  const user = view.users.find((u) => u.id === view.userId);
  let phone = user && user.phone;
  if (!phone) {
    phone = prompt("此用户没有手机号，请输入 (this user has no phone number):", "138");
    if (!phone) return;
  }
  const sent = await api("POST", "contact", { user_id: view.userId, phone });
  applyEvent({ kind: "message", message: sent.message });
}

async function sendLocation() {
  const answer = prompt("纬度, 经度 (latitude, longitude):", "27.8386, 99.7071");
  if (!answer) return;
  const [latitude, longitude] = answer.split(",").map((s) => parseFloat(s));
  const sent = await api("POST", "location", { user_id: view.userId, latitude, longitude });
  applyEvent({ kind: "message", message: sent.message });
}

async function sendPhoto(file) {
  const form = new FormData();
  form.append("user_id", String(view.userId));
  form.append("file", file, file.name);
  const caption = $("composer-input").value.trim();
  if (caption) form.append("caption", caption);
  $("composer-input").value = "";
  const sent = await api("POST", "photo", form);
  applyEvent({ kind: "message", message: sent.message });
}

async function toggleCommands() {
  const list = $("commands-list");
  if (!list.classList.contains("hidden") || view.userId === null) {
    list.classList.add("hidden");
    return;
  }
  const data = await api("GET", "commands", undefined, { user_id: view.userId });
  list.replaceChildren();
  for (const c of data.commands) {
    const item = document.createElement("li");
    item.dataset.testid = "command";
    const name = document.createElement("b");
    name.textContent = "/" + c.command;
    item.append(name, document.createTextNode(c.description));
    item.addEventListener("click", () => {
      list.classList.add("hidden");
      sendText("/" + c.command).catch(fail);
    });
    list.append(item);
  }
  if (!data.commands.length) {
    const empty = document.createElement("li");
    empty.textContent = "机器人没有为此聊天设置命令 (no commands set)";
    list.append(empty);
  }
  list.classList.remove("hidden");
}

// ---- channels -------------------------------------------------------------------------------------------
const CHANNEL_NAMES = { telegram: "Telegram", wecom: "企业微信 (WeCom)" };

async function loadChannels() {
  const data = await api("GET", "channels");
  const picker = $("channel-picker");
  picker.replaceChildren();
  for (const name of data.channels) {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = CHANNEL_NAMES[name] || name;
    picker.append(option);
  }
  picker.value = view.channel;
}

async function switchChannel(channel) {
  view.channel = channel;
  view.generation += 1; // stops the Telegram poll loop
  view.userId = null;
  view.users = [];
  wecomStop();
  $("chat").replaceChildren();
  $("chat-title").textContent = "请选择用户 (pick a user)";
  $("user-info").textContent = "";
  $("user-picker").replaceChildren();
  for (const id of ["composer-input", "composer-send", "share-contact", "photo-input", "send-location"]) {
    $(id).disabled = true;
  }
  const telegram = channel === "telegram";
  $("new-user").classList.toggle("hidden", !telegram);
  $("commands-button").classList.toggle("hidden", !telegram);
  renderReplyKeyboard(null);
  setTyping(0);
  await (telegram ? loadUsers() : wecomLoadMembers());
}

function refreshPeople() {
  return view.channel === "telegram" ? loadUsers() : wecomLoadMembers();
}

// ---- wiring ---------------------------------------------------------------------------------------------
$("channel-picker").addEventListener("change", (event) => switchChannel(event.target.value).catch(fail));
$("user-picker").addEventListener("change", (event) => {
  const value = event.target.value;
  if (view.channel === "wecom") {
    wecomSelect(value).catch(fail);
    return;
  }
  (value === "new" ? newUser() : selectUser(Number(value))).catch(fail);
});
$("new-user").addEventListener("click", () => newUser().catch(fail));
$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("composer-input");
  const text = input.value;
  input.value = "";
  (view.channel === "wecom" ? wecomSendText(text) : sendText(text)).catch(fail);
});
$("share-contact").addEventListener("click", () => shareContact().catch(fail));
$("send-location").addEventListener("click", () =>
  (view.channel === "wecom" ? wecomSendLocation() : sendLocation()).catch(fail));
$("photo-input").addEventListener("change", (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (file) (view.channel === "wecom" ? wecomSendPhoto(file) : sendPhoto(file)).catch(fail);
});
$("commands-button").addEventListener("click", () => toggleCommands().catch(fail));

loadChannels().catch(fail);
loadUsers().catch(fail);
setInterval(() => refreshPeople().catch(() => {}), 5000);
