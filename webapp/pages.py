"""Server-rendered pages; each page's behaviour is one ES module under static/js/."""
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render


def home(request):
    return render(request, "home.html")


def signup(request):
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save())
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


def not_found(request, exception=None):
    return render(request, "404.html", {"message": str(exception or "")}, status=404)
