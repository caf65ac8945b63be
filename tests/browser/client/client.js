"use strict";
// A RealWorld-style single-page client for the cross-origin browser test. It calls the
// API the way RealWorld front ends do: fetch, JSON bodies with Content-Type
// application/json, and an "Authorization: Token <jwt>" header kept in localStorage.
// Every action ends by writing one line into #status and bumping its data-seq, so a
// test can wait for the action to finish and then read what it shows.

const API = (new URLSearchParams(location.search).get("api") || "http://127.0.0.1:5000/api")
  .replace(/\/+$/, "");
const TOKEN = "inkwell-test-client-token";

let article = null; // the article this page published and works on
let comments = [];

const $ = (id) => document.getElementById(id);
const field = (form, name) => form.elements.namedItem(name).value;

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  const token = localStorage.getItem(TOKEN);
  if (token) headers.Authorization = `Token ${token}`;
  const init = { method, headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  let response;
  try {
    response = await fetch(API + path, init);
  } catch (error) {
    // A refused CORS check lands here: the script only ever sees "Failed to fetch".
    throw new Error(`Network error on ${method} ${path}: ${error}`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    throw new Error(`Error ${response.status} on ${method} ${path}: ${JSON.stringify(data)}`);
  }
  return data;
}

function show(message, state) {
  const status = $("status");
  status.textContent = message;
  status.dataset.state = state;
  status.dataset.seq = String(Number(status.dataset.seq) + 1);
}

async function run(action) {
  $("status").dataset.state = "busy";
  try {
    show(await action(), "ok");
  } catch (error) {
    show(error.message, "error");
  }
}

function on(id, action) {
  const element = $(id);
  const event = element.tagName === "FORM" ? "submit" : "click";
  element.addEventListener(event, (e) => {
    e.preventDefault();
    run(() => action(element, e));
  });
}

function signedIn(user) {
  localStorage.setItem(TOKEN, user.token);
  $("who").textContent = `Signed in as ${user.username}`;
  $("bio").textContent = `Bio: ${user.bio ?? "(none)"}`;
}

function renderArticle() {
  $("article-title").textContent = article ? article.title : "No article yet";
  $("article-slug").textContent = article ? `Slug: ${article.slug}` : "";
  $("favorites").textContent = article
    ? `Favorites: ${article.favoritesCount}${article.favorited ? " (including yours)" : ""}`
    : "";
}

function renderComments() {
  const list = $("comments");
  list.replaceChildren();
  if (comments.length === 0) {
    list.append(Object.assign(document.createElement("li"), { textContent: "No comments yet." }));
  }
  for (const comment of comments) {
    const item = document.createElement("li");
    const remove = Object.assign(document.createElement("button"), {
      type: "button",
      textContent: "Delete comment",
    });
    remove.addEventListener("click", () => run(() => deleteComment(comment.id)));
    item.append(`${comment.body} — ${comment.author.username} `, remove);
    list.append(item);
  }
}

function renderList(id, items, empty) {
  const list = $(id);
  list.replaceChildren(
    ...(items.length ? items : [empty]).map((text) =>
      Object.assign(document.createElement("li"), { textContent: text }),
    ),
  );
}

function currentArticle() {
  if (!article) throw new Error("Publish an article first.");
  return article;
}

function articleInput(form) {
  const tagList = field(form, "tags").split(",").map((t) => t.trim()).filter(Boolean);
  return {
    title: field(form, "title"),
    description: field(form, "description"),
    body: field(form, "body"),
    tagList,
  };
}

async function deleteComment(id) {
  const { slug } = currentArticle();
  await api("DELETE", `/articles/${encodeURIComponent(slug)}/comments/${id}`);
  comments = comments.filter((c) => c.id !== id);
  renderComments();
  return "Comment deleted.";
}

on("sign-up", async (form) => {
  const { user } = await api("POST", "/users", {
    user: {
      username: field(form, "username"),
      email: field(form, "email"),
      password: field(form, "password"),
    },
  });
  signedIn(user);
  return `Signed up as ${user.username}.`;
});

on("sign-in", async (form) => {
  const { user } = await api("POST", "/users/login", {
    user: { email: field(form, "email"), password: field(form, "password") },
  });
  signedIn(user);
  return `Welcome back, ${user.username}.`;
});

on("sign-out", async () => {
  localStorage.removeItem(TOKEN);
  $("who").textContent = "Not signed in";
  $("bio").textContent = "";
  return "Signed out.";
});

async function loadUser() {
  const { user } = await api("GET", "/user");
  signedIn(user);
  return "Loaded your account.";
}

on("reload-user", loadUser);

on("settings", async (form) => {
  // The answer carries a fresh token: keep it, as the contract asks.
  const { user } = await api("PUT", "/user", { user: { bio: field(form, "bio") } });
  signedIn(user);
  return "Settings saved.";
});

on("editor", async (form) => {
  // With the trailing slash, as some RealWorld front ends build the URL.
  ({ article } = await api("POST", "/articles/", { article: articleInput(form) }));
  comments = [];
  renderArticle();
  renderComments();
  return `Published "${article.title}".`;
});

on("save-article", async () => {
  const { slug } = currentArticle();
  ({ article } = await api("PUT", `/articles/${encodeURIComponent(slug)}`, {
    article: articleInput($("editor")),
  }));
  renderArticle();
  return `Saved "${article.title}".`;
});

on("comment", async (form) => {
  const { slug } = currentArticle();
  const { comment } = await api("POST", `/articles/${encodeURIComponent(slug)}/comments`, {
    comment: { body: field(form, "body") },
  });
  comments.push(comment);
  renderComments();
  return "Comment posted.";
});

on("favorite", async () => {
  const { slug } = currentArticle();
  ({ article } = await api("POST", `/articles/${encodeURIComponent(slug)}/favorite`));
  renderArticle();
  return "Favorited.";
});

on("unfavorite", async () => {
  const { slug } = currentArticle();
  ({ article } = await api("DELETE", `/articles/${encodeURIComponent(slug)}/favorite`));
  renderArticle();
  return "Unfavorited.";
});

on("delete-article", async () => {
  const { slug } = currentArticle();
  await api("DELETE", `/articles/${encodeURIComponent(slug)}`);
  article = null;
  comments = [];
  renderArticle();
  renderComments();
  return "Article deleted.";
});

async function follow(method) {
  const username = field($("people"), "username");
  const { profile } = await api(method, `/profiles/${encodeURIComponent(username)}/follow`);
  $("profile").textContent = profile.following
    ? `You follow ${profile.username}.`
    : `You do not follow ${profile.username}.`;
  return profile.following ? `Following ${profile.username}.` : `Unfollowed ${profile.username}.`;
}

on("people", () => follow("POST"));
on("unfollow", () => follow("DELETE"));

on("load-feed", async () => {
  const { articles, articlesCount } = await api("GET", "/articles/feed");
  renderList(
    "feed",
    articles.map((a) => `${a.title} by ${a.author.username}`),
    "Your feed is empty.",
  );
  return `Feed: ${articlesCount} article${articlesCount === 1 ? "" : "s"}.`;
});

on("load-tags", async () => {
  // With the trailing slash, as some RealWorld front ends build the URL.
  const { tags } = await api("GET", "/tags/");
  renderList("tags", tags, "No tags.");
  return `Tags: ${tags.length}.`;
});

renderArticle();
renderComments();
if (localStorage.getItem(TOKEN)) {
  run(loadUser);
} else {
  show("Ready.", "ok");
}
