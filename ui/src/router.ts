import { createRouter, createWebHistory } from "vue-router";
import { hasAuthFlag } from "./store";

export const router = createRouter({
  history: createWebHistory("/ui/main/"),
  routes: [
    { path: "/", name: "home", component: () => import("./pages/Dashboard.vue") },
    { path: "/login", name: "login", component: () => import("./pages/Login.vue"), meta: { bare: true } },
    { path: "/setup", name: "setup", component: () => import("./pages/Setup.vue"), meta: { bare: true } },
    { path: "/flows", name: "flows", component: () => import("./pages/FlowsList.vue") },
    { path: "/flows/new", name: "flow-new", component: () => import("./pages/FlowNew.vue") },
    { path: "/flows/edit/:namespace/:id/:tab?", name: "flow", component: () => import("./pages/FlowPage.vue"), props: true },
    { path: "/executions", name: "executions", component: () => import("./pages/ExecutionsList.vue") },
    {
      path: "/executions/:namespace/:flowId/:id/:tab?",
      name: "execution",
      component: () => import("./pages/ExecutionPage.vue"),
      props: true,
    },
    { path: "/logs", name: "logs", component: () => import("./pages/LogsPage.vue") },
    { path: "/namespaces", name: "namespaces", component: () => import("./pages/NamespacesList.vue") },
    { path: "/namespaces/edit/:id/:tab?", name: "namespace", component: () => import("./pages/NamespacePage.vue"), props: true },
    { path: "/admin/triggers", name: "triggers", component: () => import("./pages/TriggersPage.vue") },
    { path: "/plugins/:cls?", name: "plugins", component: () => import("./pages/PluginsPage.vue"), props: true },
    { path: "/settings", name: "settings", component: () => import("./pages/SettingsPage.vue") },
    { path: "/:pathMatch(.*)*", redirect: "/" },
  ],
});

router.beforeEach((to) => {
  if (to.meta.bare || hasAuthFlag()) return true;
  return { name: "login", query: to.fullPath !== "/" ? { from: to.fullPath } : {} };
});
