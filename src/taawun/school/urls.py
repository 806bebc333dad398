from django.urls import path

from . import views

app_name = "school"
urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("new-course/", views.course_form, name="course_new"),
    path("import/", views.import_file, name="import"),
    path("images/", views.upload_image, name="upload_image"),
    path("media/<str:name>", views.media, name="media"),
    path("courses/<slug:course_key>/", views.course, name="course"),
    path("courses/<slug:course_key>/edit/", views.course_form, name="course_edit"),
    path("courses/<slug:course_key>/export.json", views.export_course, name="course_export"),
    path("courses/<slug:course_key>/new-lesson/", views.lesson_form, name="lesson_new"),
    path("courses/<slug:course_key>/lessons/<slug:lesson_key>/", views.lesson, name="lesson"),
    path(
        "courses/<slug:course_key>/lessons/<slug:lesson_key>/edit/",
        views.lesson_form,
        name="lesson_edit",
    ),
    path("pages/", views.pages, name="pages"),
    path("new-page/", views.page_form, name="page_new"),
    path("pages/<str:slug>/", views.page, name="page"),
    path("pages/<str:slug>/edit/", views.page_form, name="page_edit"),
    path("pages/<str:slug>/history/", views.page_history, name="page_history"),
    path("pages/<str:slug>/history/<int:number>/", views.page_revision, name="page_revision"),
    path("pages/<str:slug>/history/<int:number>/revert/", views.revert_page, name="page_revert"),
    path("pages/<str:slug>/share/", views.share_page, name="page_share"),
    path("pages/<str:slug>/export.json", views.export_page, name="page_export"),
]
