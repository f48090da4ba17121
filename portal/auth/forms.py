from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp


class LoginForm(FlaskForm):
    username = StringField("帳號", validators=[DataRequired("請輸入帳號")],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("密碼", validators=[DataRequired("請輸入密碼")],
                             render_kw={"autocomplete": "current-password"})


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("目前密碼", validators=[DataRequired("請輸入目前密碼")],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("新密碼", validators=[DataRequired("請輸入新密碼")],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("再次輸入新密碼",
                            validators=[DataRequired("請再輸入一次"), EqualTo("new_password", "兩次輸入的新密碼不同")],
                            render_kw={"autocomplete": "new-password"})


class UserForm(FlaskForm):
    username = StringField("帳號", validators=[DataRequired("請輸入帳號"), Length(3, 60, "帳號長度 3–60 字元")])
    full_name = StringField("真實姓名", validators=[DataRequired("請輸入真實姓名（實名制）"), Length(max=60)])
    job_title = StringField("職稱", validators=[Optional(), Length(max=60)])
    email = StringField("電子郵件", validators=[Optional(), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="電子郵件格式不正確"), Length(max=120)])
    phone = StringField("聯絡電話", validators=[Optional(), Length(max=40)])
    organisation_id = SelectField("所屬單位", coerce=int, validators=[DataRequired("請選擇所屬單位")])
    role = SelectField("角色", validators=[DataRequired("請選擇角色")])
    password = PasswordField("初始密碼", validators=[Optional()], render_kw={"autocomplete": "new-password"})
    active = BooleanField("啟用", default=True)
