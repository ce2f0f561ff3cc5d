"""Every user-facing sentence, in Hebrew and English; handlers never hold string literals."""

from __future__ import annotations

from typing import Any

LRI, PDI = "\u2066", "\u2069"  # isolate Latin names inside right-to-left Hebrew text

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "help": (
            "Commands: analyze NAME · students [QUERY] · resume · retry · cancel · "
            "note TEXT · lang he|en · help. During an interview just answer; write "
            "'finish' when you are done."
        ),
        "not_linked": "I don't know you yet. Ask your school admin for access to Growth Engine.",
        "no_match": "I found no student matching “{query}” among your students.",
        "choose": "Several students match. Which one? Reply with the number.",
        "choose_again": "Please reply with a number from 1 to {count}, or 'cancel'.",
        "started": "Starting an analysis of {name}.",
        "finish_button": "Finish",
        "generating": "Thank you. Writing the analysis…",
        "review_title": "Analysis of {name}",
        "strengths": "Strengths",
        "weaknesses": "Difficulties",
        "recommendations": "Recommendations",
        "learningStyle": "Learning style",
        "confidence": "Confidence",
        "draft_line": "AI-generated draft, reviewed by {teacher}.",
        "save": "Save",
        "edit": "Edit {section}",
        "flag": "Flag for review",
        "note": "Add private note",
        "discard": "Discard",
        "saved": "Saved. The analysis of {name} is complete.",
        "edit_prompt": "Write the new text for “{section}” (one item per line).",
        "edited": "Updated “{section}”.",
        "note_prompt": "Write your private note; only you will see it.",
        "noted": "Private note added.",
        "flagged": "Flagged for your principal's review.",
        "discarded": "Discarded. Nothing from this draft will be shown again.",
        "cancelled": "Cancelled. The analysis was kept as failed (reason: cancelled).",
        "nothing_to_cancel": "There is nothing to cancel.",
        "choice_cancelled": "Cancelled; no student was chosen.",
        "be_specific": "Several students match: {names}. Please be more specific.",
        "history_title": "Analyses of {name}:",
        "history_empty": "No analyses yet.",
        "status_in_progress": "in progress",
        "status_completed": "completed",
        "status_failed": "failed",
        "resume_offer": "You have an unfinished analysis of {name}. Write 'resume' to go on or "
        "'cancel' to drop it.",
        "resume_button": "Resume",
        "retry_button": "Retry",
        "cancel_button": "Cancel",
        "nothing_to_resume": "You have no unfinished analysis.",
        "expired": "The interview about {name} expired after {hours} hours without an answer.",
        "ai_failed": "The AI service is not answering right now. Your answers are saved; "
        "write 'retry' to continue.",
        "ai_invalid": "The AI produced an invalid analysis twice. Your answers are saved; "
        "write 'retry' to try again.",
        "ai_quota": "The AI account has run out of quota. Please contact your admin.",
        "quota": "Your school has used its {limit} analyses for this month. "
        "The limit resets on {resets_on}.",
        "denied": "You are not allowed to do that.",
        "not_found": "I could not find that.",
        "invalid": "That did not work: {field} — {reason}.",
        "conflict": "That is not possible now: {what}.",
        "in_review": "Choose an action for the analysis: save, edit, flag, note or discard.",
        "in_interview": "Please answer the question, or write 'finish' or 'cancel'.",
        "students_title": "Your students:",
        "no_students": "No students to show.",
        "lang_set": "I will answer in English.",
        "lang_bad": "Languages: he or en.",
        "private_notice": "I'll answer you privately.",
        "busy": "I'm still working on your previous message; please wait a moment.",
        "conversation_ended": "Your account changed, so I closed the conversation that was "
        "open. Write 'help' to see what you can do now.",
        "still_working": "Still working on it…",
        "role_refused": "This command is not available to your role.",
        "slack_no_account": "I couldn't find a Growth Engine account for {email}, the email of "
        "your Slack profile. Ask your school admin to add you with this email, then write to me "
        "again.",
        "slack_no_email": "I can't see the email of your Slack profile, so I can't tell who you "
        "are. Ask your school admin for access to Growth Engine.",
        "slack_update": "Update",
        "slack_close": "Close",
        "tg_not_linked": "I don't know you yet. Ask your school admin for a Growth Engine link "
        "code, then open the link they send you (or write /start CODE here).",
        "link_done": "Welcome, {name}! This chat is now linked to your Growth Engine account. "
        "Write /help for the commands.",
        "link_unknown": "I don't recognise this link code. Check the link, or ask your school "
        "admin for a new one.",
        "link_expired": "This link code has expired. Ask your school admin for a new one.",
        "link_used": "This link code was already used. Ask your school admin for a new one.",
        "cmd_help": "What I can do",
        "cmd_analyze": "Analyze a student: /analyze NAME",
        "cmd_students": "Your students, or a search: /students QUERY",
        "cmd_resume": "Continue an unfinished analysis",
        "cmd_retry": "Try a failed analysis again",
        "cmd_cancel": "Cancel the current analysis",
        "cmd_finish": "End the interview and write the analysis",
        "cmd_lang": "Language: /lang he or /lang en",
        # Admin commands (bot/admin_commands.py).
        "admin_help": "Admin commands:\n{commands}",
        "admin_bad_usage": "{problem}. Usage:\n{usage}",
        "admin_unknown": "Unknown admin command “{command}”",
        "admin_bad_option": "Unknown option {option}",
        "admin_needs_value": "{option} needs a value",
        "admin_missing": "Missing {name}",
        "admin_extra": "Too many words: “{words}”",
        "admin_no_school": "There is no school with the code “{name}”.",
        "admin_no_district": "There is no district with the code “{name}”.",
        "admin_no_user": "There is no user {name}.",
        "admin_no_student": "There is no student “{name}”.",
        "admin_failed": "That did not work: {error}.",
        "admin_none": "Nothing to show.",
        "admin_more": "There is more: repeat the command with {option}.",
        "admin_user_added": "Added {full_name} <{email}> as {role}.",
        "admin_user_role": "{email} is now {role}.",
        "admin_deactivated": "{email} is deactivated.",
        "admin_reactivated": "{email} is active again.",
        "admin_users_title": "Staff (page {page}):",
        "admin_inactive": "inactive",
        "admin_school_added": "Added school {code}: {name}.",
        "admin_schools_title": "Schools:",
        "admin_district_added": "Added district {code}: {name}.",
        "admin_invite": "One-time link code for {email}, valid for {hours} hours: {code}\n"
        "In Telegram, they open the link or send the bot: /start {code}",
        "admin_invite_link": "Link: {link}",
        "admin_roster_attach": "Attach the roster CSV file to the message with the command.",
        "admin_roster_done": "Imported {kind} into {school_code} ({rows} rows, {encoding}): "
        "{created} created, {updated} updated, {unchanged} unchanged.",
        "admin_roster_rejected": "The file was rejected; nothing was imported:\n{report}",
        "admin_quota_set": "Monthly analysis quota of {school}: {limit} (was: {previous}).",
        "admin_no_limit": "no limit",
        "admin_usage_title": "Usage in {month}:",
        "admin_usage_line": "{who}: {analyses} analyses, {tokens} tokens, ${cost}",
        "admin_usage_total": "Total",
        "admin_usage_none": "No analyses in {month}.",
        "admin_audit_student": "Disclosure log of {name}, newest first:",
        "admin_audit_user": "Audit trail of {email}, newest first:",
        "admin_audit_since": "Audit trail since {date}, newest first:",
        "admin_denied_mark": "refused",
        "admin_failed_mark": "failed",
        "admin_retention": "Retention: anonymised {students} students and {users} users.",
        "admin_retention_dry": "Dry run: {students} students and {users} users would be "
        "anonymised. Nothing was changed.",
        "admin_student_ids": "Students: {ids}",
        "admin_user_ids": "Users: {ids}",
        "admin_record": "The full record of {name}: {analyses} analyses and {disclosures} "
        "disclosure log entries, attached as JSON, with the disclosure log as CSV.",
        # Summaries, flagged reviews and exports (bot/summary_commands.py).
        "summary_title": "Summary of {scope} — {period}",
        "scope_school": "{name}",
        "scope_district": "district {name}",
        "scope_grade": "grade {name}",
        "scope_class": "class {name}",
        "scope_teacher": "teacher {name}",
        "scope_student": "{name}",
        "period_all": "all time",
        "summary_counts": "Analyses: {total} — {completed} completed, {in_progress} in progress, "
        "{failed} failed. Flagged for review: {flagged}.",
        "summary_grades": "Coverage by grade (active students with a completed analysis):",
        "summary_classes": "Coverage by class:",
        "coverage_line": "• {label}: {covered}/{active} ({percent}%)",
        "grade_label": "grade {grade}",
        "summary_teachers": "Analyses per teacher:",
        "teacher_line": "• {name}: {total} ({completed} completed)",
        "summary_strengths": "Most frequent strengths:",
        "summary_weaknesses": "Most frequent difficulties:",
        "theme_line": "• {phrase} ({count})",
        "summary_confidence": "Average confidence: {value}.",
        "summary_usage": "Tokens: {tokens} · estimated cost: ${cost}.",
        "summary_nothing": "No analyses in this period.",
        "summary_latest": "Latest analysis ({date}, by {teacher}):",
        "summary_edited": "edited by the teacher",
        "summary_trend": "Trend of completed analyses:",
        "trend_line": "• {date}: confidence {confidence} · {strengths} strengths, "
        "{weaknesses} difficulties",
        "chart_grades": "Coverage by grade",
        "chart_classes": "Coverage by class",
        "chart_statuses": "Analyses by status",
        "status_COMPLETED": "completed",
        "status_IN_PROGRESS": "in progress",
        "status_FAILED": "failed",
        "summary_usage_help": "Write: summary [school|grade G|class NAME|teacher EMAIL|"
        "student NAME] [this-month|this-term|this-year|YYYY-MM-DD..YYYY-MM-DD]. "
        "Terms: September–January and February–June.",
        "bad_period": "“{value}” is not a period: write this-month, this-term, this-year or "
        "YYYY-MM-DD..YYYY-MM-DD (a real date, the start not after the end).",
        "bad_scope": "“{value}” is not something I can summarise: school, grade, class, teacher "
        "or student (district for admins).",
        "bad_missing": "Write which {kind} after “{kind}”, e.g. grade 5, class ה'1, "
        "teacher name@school.org, student Dana Levi.",
        "bad_student": "Several students match “{value}”: {names}. Write more of the name.",
        "bad_id": "“{value}” is not an analysis id: copy the id shown by 'flagged'.",
        "other_school": "You can only see your own school.",
        "admin_only": "Only an admin can ask about a district.",
        "scope_not_found": "I found no {what} “{value}” that you may see.",
        "what_School": "school",
        "what_District": "district",
        "what_Class": "class",
        "what_Teacher": "teacher",
        "what_Student": "student",
        "what_Analysis": "analysis",
        "flagged_title": "Analyses flagged for review, newest first:",
        "flagged_line": "• {id} — {student} (grade {grade}), flagged by {teacher} on {date}",
        "flagged_hint": "When you have dealt with one, write: reviewed ID",
        "flagged_none": "No analyses are flagged for review.",
        "reviewed_usage": "Write 'reviewed ID' with an id from the 'flagged' list.",
        "reviewed_done": "Done: the analysis of {student} ({id}) is no longer flagged.",
        "not_flagged": "That analysis is not flagged for review.",
        "export_usage": "Write: export analyses [school|grade G|class NAME|teacher EMAIL|"
        "student NAME] [this-month|this-term|this-year|YYYY-MM-DD..YYYY-MM-DD].",
        "export_done": "Here is the export: {rows} analyses ({filename}). Private notes are "
        "never included.",
    },
    "he": {
        "help": (
            "פקודות: analyze שם · students [חיפוש] · resume · retry · cancel · note טקסט · "
            "lang he|en · help. במהלך ראיון פשוט עני/ה; כתבו 'finish' (סיום) כשסיימתם."
        ),
        "not_linked": "אני עדיין לא מכיר אותך. בקש/י גישה מהמנהל/ת של המערכת בבית הספר.",
        "no_match": "לא מצאתי תלמיד/ה בשם „{query}” בין התלמידים שלך.",
        "choose": "נמצאו כמה תלמידים. במי מדובר? השב/י במספר.",
        "choose_again": "נא להשיב במספר בין 1 ל-{count}, או 'cancel'.",
        "started": "מתחילים ניתוח של {name}.",
        "finish_button": "סיום",
        "generating": "תודה. כותב את הניתוח…",
        "review_title": "ניתוח של {name}",
        "strengths": "חוזקות",
        "weaknesses": "קשיים",
        "recommendations": "המלצות",
        "learningStyle": "סגנון למידה",
        "confidence": "רמת ביטחון",
        "draft_line": "טיוטה שנוצרה בבינה מלאכותית, נבדקה על ידי {teacher}.",
        "save": "שמירה",
        "edit": "עריכת {section}",
        "flag": "סימון לבדיקה",
        "note": "הערה פרטית",
        "discard": "מחיקה",
        "saved": "נשמר. הניתוח של {name} הושלם.",
        "edit_prompt": "כתבו את הנוסח החדש של „{section}” (פריט בכל שורה).",
        "edited": "„{section}” עודכן.",
        "note_prompt": "כתבו את ההערה הפרטית; רק אתם תראו אותה.",
        "noted": "ההערה הפרטית נוספה.",
        "flagged": "סומן לבדיקת המנהל/ת.",
        "discarded": "נמחק. הטיוטה לא תוצג יותר.",
        "cancelled": "בוטל. הניתוח נשמר כנכשל (סיבה: ביטול).",
        "nothing_to_cancel": "אין מה לבטל.",
        "choice_cancelled": "בוטל; לא נבחר תלמיד.",
        "be_specific": "נמצאו כמה תלמידים: {names}. נא לדייק.",
        "history_title": "ניתוחים של {name}:",
        "history_empty": "עדיין אין ניתוחים.",
        "status_in_progress": "בתהליך",
        "status_completed": "הושלם",
        "status_failed": "נכשל",
        "resume_offer": "יש לך ניתוח לא גמור של {name}. כתבו 'resume' כדי להמשיך או 'cancel' "
        "כדי לוותר.",
        "resume_button": "המשך",
        "retry_button": "ניסיון חוזר",
        "cancel_button": "ביטול",
        "nothing_to_resume": "אין ניתוח לא גמור.",
        "expired": "הראיון על {name} פג אחרי {hours} שעות ללא מענה.",
        "ai_failed": "שירות הבינה המלאכותית לא עונה כרגע. התשובות שלך נשמרו; כתבו 'retry' "
        "כדי להמשיך.",
        "ai_invalid": "הבינה המלאכותית החזירה ניתוח לא תקין פעמיים. התשובות נשמרו; כתבו "
        "'retry' לניסיון נוסף.",
        "ai_quota": "מכסת שירות הבינה המלאכותית נגמרה. נא לפנות למנהל/ת המערכת.",
        "quota": "בית הספר ניצל את {limit} הניתוחים של החודש. המכסה מתחדשת ב-{resets_on}.",
        "denied": "אין לך הרשאה לפעולה הזו.",
        "not_found": "לא מצאתי את זה.",
        "invalid": "זה לא הצליח: {field} — {reason}.",
        "conflict": "זה לא אפשרי כרגע: {what}.",
        "in_review": "בחרו פעולה לניתוח: שמירה, עריכה, סימון, הערה או מחיקה.",
        "in_interview": "נא לענות על השאלה, או לכתוב 'finish' (סיום) או 'cancel' (ביטול).",
        "students_title": "התלמידים שלך:",
        "no_students": "אין תלמידים להצגה.",
        "lang_set": "אענה בעברית.",
        "lang_bad": "שפות: he או en.",
        "private_notice": "אענה לך בהודעה פרטית.",
        "busy": "אני עדיין מטפל בהודעה הקודמת; רגע אחד בבקשה.",
        "conversation_ended": "החשבון שלך השתנה, ולכן סגרתי את השיחה שהייתה פתוחה. כתוב/כתבי "
        "'help' כדי לראות מה אפשר לעשות עכשיו.",
        "still_working": "עדיין עובד על זה…",
        "role_refused": "הפקודה הזו אינה זמינה לתפקיד שלך.",
        "slack_no_account": "לא מצאתי חשבון Growth Engine עבור {email}, כתובת הדוא״ל בפרופיל "
        "ה-Slack שלך. בקשו מהמנהל/ת של המערכת בבית הספר להוסיף אתכם עם הכתובת הזו, ואז כתבו לי "
        "שוב.",
        "slack_no_email": "אינני רואה את כתובת הדוא״ל בפרופיל ה-Slack שלך, ולכן איני יודע מי את/ה. "
        "בקשו גישה מהמנהל/ת של המערכת בבית הספר.",
        "slack_update": "עדכון",
        "slack_close": "סגירה",
        "tg_not_linked": "אני עדיין לא מכיר אותך. בקש/י מהמנהל/ת של המערכת בבית הספר קוד "
        "קישור, ואז פתח/י את הקישור שנשלח אליך (או כתוב/כתבי כאן /start קוד).",
        "link_done": "ברוך/ה הבא/ה, {name}! הצ'אט הזה מקושר עכשיו לחשבון שלך. כתבו /help "
        "לרשימת הפקודות.",
        "link_unknown": "אני לא מזהה את קוד הקישור הזה. בדקו את הקישור, או בקשו קוד חדש "
        "מהמנהל/ת של המערכת.",
        "link_expired": "תוקף קוד הקישור פג. בקשו קוד חדש מהמנהל/ת של המערכת.",
        "link_used": "קוד הקישור הזה כבר נוצל. בקשו קוד חדש מהמנהל/ת של המערכת.",
        "cmd_help": "מה אני יודע לעשות",
        "cmd_analyze": "ניתוח תלמיד/ה: /analyze שם",
        "cmd_students": "התלמידים שלך, או חיפוש: /students חיפוש",
        "cmd_resume": "המשך ניתוח שלא הסתיים",
        "cmd_retry": "ניסיון חוזר לניתוח שנכשל",
        "cmd_cancel": "ביטול הניתוח הנוכחי",
        "cmd_finish": "סיום הראיון וכתיבת הניתוח",
        "cmd_lang": "שפה: /lang he או /lang en",
        # Admin commands (bot/admin_commands.py).
        "admin_help": "פקודות ניהול:\n{commands}",
        "admin_bad_usage": "{problem}. שימוש:\n{usage}",
        "admin_unknown": "פקודת ניהול לא מוכרת „{command}”",
        "admin_bad_option": "אפשרות לא מוכרת {option}",
        "admin_needs_value": "חסר ערך אחרי {option}",
        "admin_missing": "חסר {name}",
        "admin_extra": "יותר מדי מילים: „{words}”",
        "admin_no_school": "אין בית ספר עם הקוד „{name}”.",
        "admin_no_district": "אין מחוז עם הקוד „{name}”.",
        "admin_no_user": "אין משתמש/ת {name}.",
        "admin_no_student": "אין תלמיד/ה „{name}”.",
        "admin_failed": "זה לא הצליח: {error}.",
        "admin_none": "אין מה להציג.",
        "admin_more": "יש עוד: חזרו על הפקודה עם \u200e{option}.",
        "admin_user_added": "{full_name} <{email}> נוסף/ה בתפקיד {role}.",
        "admin_user_role": "התפקיד של {email} הוא עכשיו {role}.",
        "admin_deactivated": "החשבון של {email} הושבת.",
        "admin_reactivated": "החשבון של {email} פעיל שוב.",
        "admin_users_title": "צוות (עמוד {page}):",
        "admin_inactive": "לא פעיל",
        "admin_school_added": "בית הספר {code} נוסף: {name}.",
        "admin_schools_title": "בתי ספר:",
        "admin_district_added": "המחוז {code} נוסף: {name}.",
        "admin_invite": "קוד קישור חד-פעמי עבור {email}, בתוקף ל-{hours} שעות: {code}\n"
        "בטלגרם פותחים את הקישור או שולחים לבוט: /start {code}",
        "admin_invite_link": "קישור: {link}",
        "admin_roster_attach": "צרפו את קובץ ה-CSV של הרשימה להודעה עם הפקודה.",
        "admin_roster_done": "יובאו {kind} אל {school_code} ({rows} שורות, {encoding}): "
        "{created} נוצרו, {updated} עודכנו, {unchanged} ללא שינוי.",
        "admin_roster_rejected": "הקובץ נדחה; דבר לא יובא:\n{report}",
        "admin_quota_set": "מכסת הניתוחים החודשית של {school}: {limit} (קודם: {previous}).",
        "admin_no_limit": "ללא הגבלה",
        "admin_usage_title": "שימוש ב-{month}:",
        "admin_usage_line": "{who}: {analyses} ניתוחים, {tokens} טוקנים, ${cost}",
        "admin_usage_total": "סה״כ",
        "admin_usage_none": "אין ניתוחים ב-{month}.",
        "admin_audit_student": "יומן הגילוי של {name}, מהחדש לישן:",
        "admin_audit_user": "יומן הביקורת של {email}, מהחדש לישן:",
        "admin_audit_since": "יומן הביקורת מאז {date}, מהחדש לישן:",
        "admin_denied_mark": "נדחה",
        "admin_failed_mark": "נכשל",
        "admin_retention": "שמירת נתונים: {students} תלמידים ו-{users} משתמשים הפכו לאנונימיים.",
        "admin_retention_dry": "הרצת ניסיון: {students} תלמידים ו-{users} משתמשים היו הופכים "
        "לאנונימיים. דבר לא שונה.",
        "admin_student_ids": "תלמידים: {ids}",
        "admin_user_ids": "משתמשים: {ids}",
        "admin_record": "התיק המלא של {name}: {analyses} ניתוחים ו-{disclosures} רשומות ביומן "
        "הגילוי, מצורף כ-JSON, ויומן הגילוי גם כ-CSV.",
        # סיכומים, סימונים לבדיקה וייצוא (bot/summary_commands.py).
        "summary_title": "סיכום {scope} — {period}",
        "scope_school": "{name}",
        "scope_district": "מחוז {name}",
        "scope_grade": "שכבה {name}",
        "scope_class": "כיתה {name}",
        "scope_teacher": "המורה {name}",
        "scope_student": "{name}",
        "period_all": "כל הזמן",
        "summary_counts": "ניתוחים: {total} — {completed} הושלמו, {in_progress} בתהליך, "
        "{failed} נכשלו. סומנו לבדיקה: {flagged}.",
        "summary_grades": "כיסוי לפי שכבה (תלמידים פעילים עם ניתוח שהושלם):",
        "summary_classes": "כיסוי לפי כיתה:",
        "coverage_line": "• {label}: {covered}/{active} ({percent}%)",
        "grade_label": "שכבה {grade}",
        "summary_teachers": "ניתוחים לפי מורה:",
        "teacher_line": "• {name}: {total} ({completed} הושלמו)",
        "summary_strengths": "החוזקות השכיחות:",
        "summary_weaknesses": "הקשיים השכיחים:",
        "theme_line": "• {phrase} ({count})",
        "summary_confidence": "רמת ביטחון ממוצעת: {value}.",
        "summary_usage": "טוקנים: {tokens} · עלות משוערת: ${cost}.",
        "summary_nothing": "אין ניתוחים בתקופה הזו.",
        "summary_latest": "הניתוח האחרון ({date}, מאת {teacher}):",
        "summary_edited": "נערך על ידי המורה",
        "summary_trend": "מגמה בניתוחים שהושלמו:",
        "trend_line": "• {date}: ביטחון {confidence} · {strengths} חוזקות, {weaknesses} קשיים",
        "chart_grades": "כיסוי לפי שכבה",
        "chart_classes": "כיסוי לפי כיתה",
        "chart_statuses": "ניתוחים לפי סטטוס",
        "status_COMPLETED": "הושלמו",
        "status_IN_PROGRESS": "בתהליך",
        "status_FAILED": "נכשלו",
        "summary_usage_help": "כתבו: summary [school|grade שכבה|class כיתה|teacher אימייל|"
        "student שם] [this-month|this-term|this-year|YYYY-MM-DD..YYYY-MM-DD]. "
        "מחציות: ספטמבר–ינואר ופברואר–יוני.",
        "bad_period": "„{value}” אינה תקופה: כתבו this-month, this-term, this-year או "
        "YYYY-MM-DD..YYYY-MM-DD (תאריך קיים, וההתחלה לא אחרי הסוף).",
        "bad_scope": "„{value}” אינו נושא לסיכום: school, grade, class, teacher או student "
        "(district למנהלי מערכת).",
        "bad_missing": "כתבו איזה {kind} אחרי „{kind}”, למשל grade 5, class ה'1, "
        "teacher name@school.org, student דנה לוי.",
        "bad_student": "כמה תלמידים מתאימים ל„{value}”: {names}. כתבו שם מלא יותר.",
        "bad_id": "„{value}” אינו מזהה ניתוח: העתיקו את המזהה מהרשימה של 'flagged'.",
        "other_school": "אפשר לראות רק את בית הספר שלך.",
        "admin_only": "רק מנהל/ת מערכת יכול/ה לשאול על מחוז.",
        "scope_not_found": "לא מצאתי {what} „{value}” שמותר לך לראות.",
        "what_School": "בית ספר",
        "what_District": "מחוז",
        "what_Class": "כיתה",
        "what_Teacher": "מורה",
        "what_Student": "תלמיד/ה",
        "what_Analysis": "ניתוח",
        "flagged_title": "ניתוחים שסומנו לבדיקה, מהחדש לישן:",
        "flagged_line": "• {id} — {student} (שכבה {grade}), סומן על ידי {teacher} ב-{date}",
        "flagged_hint": "אחרי שטיפלתם, כתבו: reviewed מזהה",
        "flagged_none": "אין ניתוחים שסומנו לבדיקה.",
        "reviewed_usage": "כתבו 'reviewed' ואחריו מזהה מהרשימה של 'flagged'.",
        "reviewed_done": "בוצע: הניתוח של {student} ({id}) כבר אינו מסומן לבדיקה.",
        "not_flagged": "הניתוח הזה אינו מסומן לבדיקה.",
        "export_usage": "כתבו: export analyses [school|grade שכבה|class כיתה|teacher אימייל|"
        "student שם] [this-month|this-term|this-year|YYYY-MM-DD..YYYY-MM-DD].",
        "export_done": "הנה הייצוא: {rows} ניתוחים ({filename}). הערות פרטיות אינן נכללות לעולם.",
    },
}


# --- Principal and admin views (issue 10, item 7): empty scopes, retention confirmation. ---
CATALOGUE["en"].update(
    {
        "summary_empty_scope": "There is nothing to summarise in {scope}: no students, classes "
        "or analyses that you may see.",
        "admin_retention_confirm": "Retention would anonymise {students} students and {users} "
        "users now. This cannot be undone. Go ahead?",
        "admin_retention_go": "Anonymise now",
        "admin_retention_nothing_due": "Retention: nothing is due for anonymisation. Nothing "
        "was changed.",
    }
)
CATALOGUE["he"].update(
    {
        "summary_empty_scope": "{scope}: אין כאן תלמידים, כיתות או ניתוחים שמותר לך לראות, ולכן "
        "אין מה לסכם.",
        "admin_retention_confirm": "שמירת נתונים תהפוך עכשיו {students} תלמידים ו-{users} "
        "משתמשים לאנונימיים. אי אפשר לבטל זאת. להמשיך?",
        "admin_retention_go": "להפוך לאנונימיים עכשיו",
        "admin_retention_nothing_due": "שמירת נתונים: אין מה להפוך לאנונימי. דבר לא שונה.",
    }
)
# --- end of issue 10, item 7 ---


def isolate(text: str) -> str:
    """Wrap a name so mixed Hebrew/English renders in the right order inside RTL text."""
    return f"{LRI}{text}{PDI}" if any("a" <= c.lower() <= "z" for c in text) else text


def t(language: str, key: str, **values: Any) -> str:
    """The sentence `key` in `language` (falls back to Hebrew), with `values` filled in."""
    catalogue = CATALOGUE.get(language, CATALOGUE["he"])
    return catalogue[key].format(**values)
