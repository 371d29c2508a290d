// The console's login form: sends the name and password once, with the CSRF token the console
// gave this page; the console answers with an HttpOnly cookie (never readable here).

const me = await fetch("/console/api/me").then((response) => response.json());
if (!me.loginRequired || me.viewer) location.replace("/console/");

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await fetch("/console/api/login", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf },
    body: JSON.stringify({ user: form.get("user"), password: form.get("password") }),
  });
  if (response.ok) return location.replace("/console/");
  const { error } = await response.json().catch(() => ({ error: `the console answered ${response.status}` }));
  document.getElementById("problem").textContent = `Not logged in: ${error}`;
});
