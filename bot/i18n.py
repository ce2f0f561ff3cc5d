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
        "role_refused": "This command is not available to your role.",
        "routed": "Command received: {command}.",
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
        "role_refused": "הפקודה הזו אינה זמינה לתפקיד שלך.",
        "routed": "הפקודה התקבלה: {command}.",
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
    },
}


def isolate(text: str) -> str:
    """Wrap a name so mixed Hebrew/English renders in the right order inside RTL text."""
    return f"{LRI}{text}{PDI}" if any("a" <= c.lower() <= "z" for c in text) else text


def t(language: str, key: str, **values: Any) -> str:
    """The sentence `key` in `language` (falls back to Hebrew), with `values` filled in."""
    catalogue = CATALOGUE.get(language, CATALOGUE["he"])
    return catalogue[key].format(**values)
