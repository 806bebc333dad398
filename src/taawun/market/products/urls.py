from django.urls import path

from . import views

app_name = "products"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/<int:product_id>/", views.add_to_cart, name="add"),
    path("cart/<int:product_id>/", views.change_line, name="change-line"),
    path("checkout/", views.checkout, name="checkout"),
    path("mine/", views.producer, name="producer"),
    path("products/new/", views.new_product, name="new-product"),
    path("products/<int:product_id>/edit/", views.edit_product, name="edit-product"),
    path("orders/<int:order_id>/<slug:step>/", views.order_step, name="step"),
]
