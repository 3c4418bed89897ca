# کنسول، ابتدائی صفحے (اور بعد میں پورٹل) کے پیغامات اردو میں۔
# یہاں کی ہر کلید en.ftl میں بھی ہونی چاہیے (ورنہ ٹیسٹ ناکام ہوتا ہے)۔

## مشترکہ ترتیب
site-name = ٹیلی سیل کنسول
skip-to-content = مواد پر جائیں
signed-in-as = { $login } کے طور پر داخل
your-role = کردار
language-switch = English
language-switch-label = یہ صفحہ انگریزی میں پڑھیں
sign-out = باہر نکلیں
nav-home = سرورق
nav-operators = آپریٹر
nav-main = مرکزی فہرست

role-admin = کمیشن کا منتظم
role-ro = ریٹرننگ افسر
role-operator = ڈیٹا انٹری آپریٹر
role-observer = مبصر

## داخلہ
login-title = کنسول میں داخل ہوں
login-name = صارف نام
login-password = پاس ورڈ
login-submit = داخل ہوں
login-wrong = صارف نام یا پاس ورڈ غلط ہے۔
login-locked = داخلے کی بہت سی ناکام کوششیں ہو چکی ہیں۔ { $minutes } منٹ بعد دوبارہ کوشش کریں۔
login-signed-out = آپ باہر نکل چکے ہیں۔

## سرورق
home-title = آپ کے حلقے
home-all = آپ کا کھاتہ ہر انتخاب کے ہر حلقے پر محیط ہے۔
home-none = اس کھاتے کو ابھی کوئی حلقہ تفویض نہیں ہوا۔
home-election = انتخاب
home-constituency = حلقہ
home-board = آمد کا بورڈ

## آپریٹر
operators-title = ڈیٹا انٹری آپریٹر
operators-intro = اپنے حلقوں کے ہر ڈیٹا انٹری آپریٹر کے لیے کھاتہ بنائیں۔ پاس ورڈ صرف ایک بار دکھایا جاتا ہے: اسے آپریٹر کو خود دیں۔
operators-login = صارف نام
operators-election = انتخاب
operators-constituency = حلقہ
operators-create = کھاتہ بنائیں
operators-created = کھاتہ { $login } بن گیا۔ اس کا پاس ورڈ، جو صرف ابھی دکھایا جا رہا ہے:
operators-none = ابھی کوئی آپریٹر کھاتہ نہیں۔
operators-status = کیفیت
operators-active = فعال
operators-disabled = غیر فعال
operators-disable = غیر فعال کریں
operators-disabled-done = کھاتہ { $login } غیر فعال ہو گیا؛ اس کے تمام سیشن ختم ہو گئے۔
operators-action = عمل

## خرابی کے صفحات
error-401 = براہِ کرم پہلے داخل ہوں۔
error-403 = آپ کا کردار یا حلقہ اس کی اجازت نہیں دیتا۔
error-404 = ایسا کوئی صفحہ نہیں ہے۔
error-409 = یہ پہلے سے درج معلومات سے متصادم ہے۔
error-422 = آپ کا درج کردہ کچھ مواد درست نہیں۔
error-csrf = اس فارم کی میعاد ختم ہو چکی ہے یا یہ اس سائٹ سے نہیں آیا۔ صفحہ دوبارہ کھولیں اور پھر کوشش کریں۔
error-back = کنسول پر واپس
error-title = کچھ غلط ہو گیا

## ابتدائی صفحہ
landing-server-version = سرور کا نسخہ
landing-intro = یہ سرور پولنگ اسٹیشنوں کے نتائج (فارم-45 اور فارم-46) کی وہ تصاویر وصول کرتا ہے جو پریزائیڈنگ افسر ٹیلی سیل ایپ سے لیتے ہیں۔ ہر تصویر فون پر مہر بند ہوتی ہے: تصویر کا SHA-256، تصویر لینے کا مقام اور وقت، اور اندراج شدہ آلے کا Ed25519 دستخط۔ سرور مہر، آلے کے اندراج اور تصویر کے مقام و وقت کی جانچ کرتا ہے، تصویر کو بغیر تبدیلی کے محفوظ کرتا ہے اور کمیشن کی کلید سے دستخط شدہ رسید دیتا ہے، جسے کوئی بھی tallyseal verify سے جانچ سکتا ہے۔
landing-elections = انتخابات
landing-no-elections = اس سرور پر ابھی کوئی انتخاب شائع نہیں ہوا۔
landing-package = دستخط شدہ انتخابی پیکج
landing-api = API
landing-api-intro = HTTP پر JSON؛ خرابیاں RFC 9457 کے problem+json میں۔ تصاویر tus 1.0 پر آتی ہیں۔ مکمل تفصیل ٹیلی سیل کے ذخیرے میں docs/server-api.md ہے۔
landing-col-request = درخواست
landing-col-who = کون
landing-col-what = کیا
landing-nav-api = API
landing-nav-health = صحت
landing-nav-keys = کمیشن کی کلیدیں
landing-nav-console = کنسول
landing-who-anyone = کوئی بھی
landing-who-phone = فون
landing-who-admin = منتظم
landing-who-operator = سرور چلانے والا
landing-ep-health = ڈیٹا بیس جواب دیتا ہے؛ ملتی جلتی تصاویر کے تجزیے کا بقایا
landing-ep-keys = کمیشن کی وہ کلید جو رسیدوں، وقت کے لنگروں اور پیکجوں پر دستخط کرتی ہے؛ شفافیت کے لاگ کی کلید اور اس کے گواہوں کی کلیدیں
landing-ep-time-anchor = سرور کا دستخط شدہ وقت کا لنگر، تصویر کے وقت کے ثبوت کے لیے
landing-ep-import = دستخط شدہ انتخابی پیکج درآمد (شائع) کریں
landing-ep-package = دستخط شدہ انتخابی پیکج
landing-ep-codes = کسی پولنگ اسٹیشن کے لیے ایک بار کا اندراجی کوڈ
landing-ep-enrol = کوڈ سے کسی اسٹیشن کے لیے آلے کی کلید کا اندراج
landing-ep-revoke = آلے کی کلید منسوخ کریں
landing-ep-captures = دستخط شدہ تصویری منشور (پہلے ہیش)؛ جواب میں دستخط شدہ رسید
landing-ep-capture-status = تصویر کی کیفیت، تازہ ترین رسید، جانچ کی رپورٹ اور لاگ میں شمولیت کا ثبوت
landing-ep-log = عوامی شفافیت کا لاگ (C2SP tlog-tiles): گواہوں کے مشترکہ دستخطوں کے ساتھ تازہ ترین دستخط شدہ چیک پوائنٹ، ہیش ٹائلیں اور اندراج کے بنڈل
landing-ep-uploads = تصویر tus 1.0 پر (دوبارہ شروع ہو سکنے والی)؛ آخری درخواست کے جواب میں تصدیق شدہ رسید
landing-ep-metrics = Prometheus پیمائشیں (انہیں عوامی پراکسی سے دور رکھیں)
