import { createApp } from "vue";
import App from "./App.vue";
import { router } from "./router";
import { setUnauthorizedHandler } from "./api/client";
import "./style.css";

// Kestra's UI routes live under /ui/main/...; /ui/ and unknown tenants land on /ui/main/.
if (!location.pathname.startsWith("/ui/main")) {
  history.replaceState(null, "", "/ui/main/" + location.search + location.hash);
}

setUnauthorizedHandler(() => {
  const cur = router.currentRoute.value;
  if (cur.name !== "login" && cur.name !== "setup") router.push({ name: "login", query: { from: cur.fullPath } });
});

createApp(App).use(router).mount("#app");
