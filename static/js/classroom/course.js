// A course: its labs; for the teacher also the join code, its rotation, the students and lab copies.
import { $, announce, api, el } from "../util.js";

const root = $("#course");
const id = root.dataset.courseId;
const teacher = root.dataset.role === "teacher";

async function labs() {
  const list = await api(`/api/courses/${id}/labs/`);
  const others = teacher ? (await api("/api/courses/")).filter((c) => c.role === "teacher") : [];
  $("#labs").replaceChildren(...list.map((lab) => el("li", { "data-lab": lab.id },
    el("a", { href: `/labs/${lab.id}/` }, lab.title),
    teacher ? [" ", el("span", { class: "muted" }, lab.published ? "published" : "draft"), " ",
      el("a", { class: "button small", href: `/courses/${id}/labs/${lab.id}/edit/` }, "Edit"), " ",
      el("a", { class: "button small", href: `/labs/${lab.id}/wall/` }, "Live wall"), " ",
      copyControl(lab, others)] : null)));
  if (!list.length) $("#labs").append(el("li", { class: "muted" }, "No labs yet."));
}

function copyControl(lab, courses) {
  const select = el("select", { "aria-label": `Copy ${lab.title} into` },
    courses.map((c) => el("option", { value: c.id }, c.name)));
  const copy = async () => {
    const made = await api(`/api/labs/${lab.id}/copy/`, { method: "POST", body: { course: Number(select.value) } });
    announce(`Copied as a draft into ${select.selectedOptions[0].text} (lab ${made.id}).`);
    labs();
  };
  return el("span", {}, select, " ", el("button", { type: "button", class: "small", onclick: copy }, "Copy"));
}

async function members() {
  const list = await api(`/api/courses/${id}/members/`);
  $("#members").replaceChildren(...list.map((m) => el("li", {}, m.username, " ",
    el("button", { type: "button", class: "small danger", onclick: async () => {
      if (!confirm(`Remove ${m.username} from the course?`)) return;
      await api(`/api/courses/${id}/members/${m.id}/`, { method: "DELETE" });
      members();
    } }, "Remove"))));
  if (!list.length) $("#members").append(el("li", { class: "muted" }, "Nobody has joined yet: show them the code."));
}

if (teacher) {
  $("#rotate").addEventListener("click", async () => {
    if (!confirm("Make a new join code? The old one stops working.")) return;
    const course = await api(`/api/courses/${id}/code/`, { method: "POST" });
    $("#join-code").textContent = course.join_code;
    const link = $("#join-link");
    link.href = `/join/${course.join_code}/`;
    link.textContent = `${location.origin}/join/${course.join_code}/`;
  });
  members();
}
labs().catch((e) => announce(`⚠ ${e.message}`, "error"));
