// My courses: create one (I teach it) or join one with its code.
import { $, announce, api, el } from "../util.js";

async function show() {
  const courses = await api("/api/courses/");
  $("#course-list").replaceChildren(...courses.map((c) => el("li", {},
    el("a", { href: `/courses/${c.id}/` }, c.name), " ", el("span", { class: "muted" }, c.role))));
  if (!courses.length) $("#course-list").append(el("li", { class: "muted" }, "No courses yet."));
}

function form(id, send) {
  $(id).addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const course = await send(new FormData(e.target));
      location.href = `/courses/${course.id}/`;
    } catch (err) {
      announce(`⚠ ${err.message}`, "error");
    }
  });
}

form("#create-course", (data) => api("/api/courses/", { method: "POST", body: { name: data.get("name") } }));
form("#join-course", (data) => api("/api/courses/join/", { method: "POST", body: { code: data.get("code") } }));
show();
