// The WeCom (企业微信) half of the sandbox page: the fake corp's members, what the bot sent each of them
// through the fake WeCom API, and what a member does (type, press a card's button, photo, location), which
// the sandbox's phone posts to the bot as encrypted callbacks. API: /sandbox/api/channel/wecom/<action>.
// Uses api(), $(), toast(), fail(), renderText(), renderReplyKeyboard(), setTyping() from app.js.
"use strict";

const WECOM = "channel/wecom/";
const wecom = { userid: null, members: [], connected: false, revision: -1, generation: 0 };

async function wecomLoadMembers() {
  const data = await api("GET", WECOM + "members");
  wecom.connected = data.connected;
  const key = JSON.stringify(data.members);
  if (key === JSON.stringify(wecom.members) && $("user-picker").options.length) return;
  wecom.members = data.members;
  const picker = $("user-picker");
  picker.replaceChildren();
  for (const member of data.members) {
    const option = document.createElement("option");
    option.value = member.userid;
    option.dataset.userid = member.userid;
    option.textContent = `${member.label} · ${member.userid}`;
    picker.append(option);
  }
  if (wecom.userid !== null) picker.value = wecom.userid;
}

function wecomStop() {
  wecom.generation += 1;
  wecom.userid = null;
}

async function wecomSelect(userid) {
  wecom.userid = userid;
  wecom.generation += 1;
  wecom.revision = -1;
  const member = wecom.members.find((m) => m.userid === userid) || { label: userid };
  $("chat-title").textContent = `企业微信 · ${member.label}`;
  $("user-info").textContent = `userid ${userid}` + (wecom.connected ? "" : " · 通道未运行 (WeCom bridge not running)");
  for (const id of ["composer-input", "composer-send", "photo-input", "send-location"]) $(id).disabled = false;
  $("share-contact").disabled = true;
  $("commands-list").classList.add("hidden");
  renderReplyKeyboard(null);
  setTyping(0);
  wecomPoll(wecom.generation);
  $("composer-input").focus();
}

async function wecomPoll(generation) {
  let timeout = 0; // the first call answers at once
  while (generation === wecom.generation) {
    try {
      const data = await api("GET", WECOM + "conversation", undefined, { userid: wecom.userid, since: wecom.revision, timeout });
      if (generation !== wecom.generation) return;
      if (data.revision !== wecom.revision) wecomRender(data.messages);
      wecom.revision = data.revision;
      timeout = 25;
    } catch (error) {
      console.warn("wecom poll failed", error);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

// ---- rendering ------------------------------------------------------------------------------------------
function wecomMediaUrl(mediaId) {
  return `/sandbox/api/${WECOM}media?media_id=${encodeURIComponent(mediaId)}`;
}

function wecomBubble(item) {
  const el = document.createElement("div");
  el.className = "message wecom";
  el.dataset.testid = "message";
  el.dataset.from = item.dropped ? "dropped" : item.from;
  if (item.dropped) el.classList.add("dropped");
  const type = item.msgtype;
  const payload = item[type] || {};
  if (item.from === "user") {
    if (type === "image") {
      const img = document.createElement("img");
      img.src = wecomMediaUrl(item.media_id);
      img.alt = "photo";
      el.append(img);
    } else if (type === "press") {
      el.append(renderText(`👆 ${item.content || item.key}`));
    } else {
      el.append(renderText(item.content || ""));
    }
  } else if (type === "image") {
    const img = document.createElement("img");
    img.src = wecomMediaUrl(payload.media_id);
    img.alt = "image";
    el.append(img);
  } else if (type === "file") {
    const link = document.createElement("a");
    link.href = wecomMediaUrl(payload.media_id);
    link.textContent = "📄 文件 (file)";
    el.append(link);
  } else if (type === "textcard") {
    const title = document.createElement("div");
    title.className = "card-title";
    title.textContent = payload.title || "";
    el.append(title, renderText(payload.description || ""));
    if (payload.url) {
      const link = document.createElement("a");
      link.href = payload.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = (payload.btntxt || "详情") + " ↗";
      el.append(link);
    }
  } else if (type === "template_card") {
    el.classList.add("card");
    el.append(renderText(item.content || ""));
    el.append(wecomButtons(item));
  } else {
    el.append(renderText(item.content || ""));
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  const time = new Date(item.time * 1000).toLocaleTimeString();
  meta.textContent = `${type} · ${time}` + (item.updates ? " · 已更新 (updated)" : "") +
    (payload.truncated ? " · 已截断 (cut at 2048 bytes)" : "") +
    (item.dropped ? " · 超过每人限额，企业微信丢弃 (dropped: over 30/min or 1000/h)" : "");
  el.append(meta);
  return el;
}

function wecomButtons(item) {
  const box = document.createElement("div");
  box.className = "inline-keyboard";
  if (item.replaced !== null && item.replaced !== undefined) {
    const done = document.createElement("button");
    done.type = "button";
    done.disabled = true;
    done.dataset.testid = "card-answered";
    done.textContent = "✓ " + item.replaced;
    box.append(done);
    return box;
  }
  const row = document.createElement("div");
  row.className = "row";
  for (const [text, key] of item.buttons) {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.testid = "card-button";
    b.textContent = text;
    b.addEventListener("click", () => wecomPress(item.task_id, key).catch(fail));
    row.append(b);
  }
  box.append(row);
  return box;
}

function wecomRender(messages) {
  const chat = $("chat");
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
  chat.replaceChildren(...messages.map(wecomBubble));
  if (atBottom || messages.length < 8) chat.scrollTop = chat.scrollHeight;
}

// ---- actions --------------------------------------------------------------------------------------------
async function wecomPress(taskId, key) {
  await api("POST", WECOM + "press", { userid: wecom.userid, task_id: taskId, key });
}

async function wecomSendText(text) {
  if (!text.trim() || wecom.userid === null) return;
  await api("POST", WECOM + "send", { userid: wecom.userid, text });
}

async function wecomSendLocation() {
  const answer = prompt("纬度, 经度 (latitude, longitude):", "27.8386, 99.7071");
  if (!answer) return;
  const [latitude, longitude] = answer.split(",").map((s) => parseFloat(s));
  await api("POST", WECOM + "location", { userid: wecom.userid, latitude, longitude });
}

async function wecomSendPhoto(file) {
  const form = new FormData();
  form.append("userid", wecom.userid);
  form.append("file", file, file.name);
  await api("POST", WECOM + "photo", form);
}
